from django.apps import AppConfig


class SampleConfig(AppConfig):
    """A second, small record type that exists only in the test settings: the engine's tests show
    that a record type gets steps, clocks, reminders, the sweep and the work list with no code of
    its own (issue 12)."""

    name = "kefu.flow.tests.sample"
    label = "flow_sample"

    def ready(self):
        from kefu.flow import registry

        from .flow import FLOW

        registry.register(FLOW)
