"""Errors the simulator API raises to the platform."""

from __future__ import annotations


class SimulatorError(Exception):
    """A refused simulator operation; the message is Polish and safe to show to staff."""


class UnknownInstance(SimulatorError):
    """No instance with this id exists (never created, or destroyed)."""

    def __init__(self, instance_id: str) -> None:
        super().__init__(f"Nie ma instancji symulatora o identyfikatorze {instance_id}.")
        self.instance_id = instance_id


class InstanceFrozen(SimulatorError):
    """The instance is frozen: its CRM data can no longer change."""

    def __init__(self, instance_id: str) -> None:
        super().__init__(f"Instancja {instance_id} jest zamrożona i nie może być zmieniona.")
        self.instance_id = instance_id
