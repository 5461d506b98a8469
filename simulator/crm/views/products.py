"""Products and services (katalog): list, create, edit."""

from __future__ import annotations

from flask import flash, g, redirect, render_template, url_for
from sqlalchemy import select

from simulator.crm.forms.sales import ProductForm
from simulator.crm.models import Product
from simulator.crm.services import catalog as svc
from simulator.crm.services.common import CrmError
from simulator.crm.views.context import bp, ctx, get_or_404, refuse


@bp.get("/products/")
def product_list():
    """List the catalogue with net and gross prices."""
    rows = g.db.scalars(select(Product).order_by(Product.active.desc(), Product.name))
    return render_template("crm/products/list.html", products=list(rows))


def _save(form: ProductForm, product: Product | None):
    entity_id = product.id if product else None
    if form.validate_on_submit():
        try:
            if product is None:
                product = svc.create_product(ctx(), form.values())
                message = f"Dodano „{product.name}” do katalogu."
            else:
                message = (
                    "Zapisano zmiany." if svc.update_product(ctx(), product, form.values()) else "Nic nie zmieniono."
                )
        except CrmError as exc:
            refuse(form, exc, form_name="produkt", entity_type="product", entity_id=entity_id)
        else:
            g.db.commit()
            flash(message, "success")
            return redirect(url_for(".product_list"))
    elif form.is_submitted():
        refuse(form, None, form_name="produkt", entity_type="product", entity_id=entity_id)
    return None


@bp.route("/products/new", methods=["GET", "POST"])
def product_new():
    """Add a product or service."""
    form = ProductForm()
    return _save(form, None) or render_template("crm/products/form.html", form=form, product=None)


@bp.route("/products/<int:product_id>/edit", methods=["GET", "POST"])
def product_edit(product_id: int):
    """Edit a product or service."""
    product = get_or_404(Product, product_id)
    form = ProductForm(obj=product)
    return _save(form, product) or render_template("crm/products/form.html", form=form, product=product)
