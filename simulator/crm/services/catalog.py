"""Products and services of the catalogue."""

from __future__ import annotations

from simulator.crm.models import Product
from simulator.crm.services.common import Ctx, apply_changes, record, snapshot


def create_product(ctx: Ctx, values: dict) -> Product:
    """Add a product or service to the catalogue."""
    product = Product(**values, created_at=ctx.now, updated_at=ctx.now)
    ctx.session.add(product)
    ctx.session.flush()
    record(
        ctx,
        "product.created",
        entity_type="product",
        entity_id=product.id,
        summary=f"Dodano do katalogu: „{product.name}”",
        after=snapshot(product),
    )
    return product


def update_product(ctx: Ctx, product: Product, values: dict) -> bool:
    """Change a catalogue entry; return whether anything changed."""
    before, after = apply_changes(product, values)
    if not after:
        return False
    product.updated_at = ctx.now
    record(
        ctx,
        "product.updated",
        entity_type="product",
        entity_id=product.id,
        summary=f"Zmieniono pozycję katalogu „{product.name}”: " + ", ".join(after),
        before=before,
        after=after,
    )
    return True
