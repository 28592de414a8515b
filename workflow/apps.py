from django.apps import AppConfig


class WorkflowConfig(AppConfig):
    name = "workflow"

    def ready(self) -> None:
        from documents import hooks as documents_hooks
        from workflow.disposal import services as disposal
        from workflow.notifications import subscriber as notifications
        from workflow.proposals import filing, search, selectors

        notifications.connect()
        disposal.connect()
        filing.connect()
        # Reorganisations (directory.reorg) move pending steps with the post through this hook.
        from workflow.proposals import reassign

        reassign.connect()
        search.register()
        # Documents never imports workflow: these answer its questions about proposals.
        documents_hooks.register(
            route=selectors.attached_document_ids, proposal=selectors.decided_proposal_for
        )
