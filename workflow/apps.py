from django.apps import AppConfig


class WorkflowConfig(AppConfig):
    name = "workflow"

    def ready(self) -> None:
        from workflow import disposal, notifications

        notifications.connect()
        disposal.connect()
