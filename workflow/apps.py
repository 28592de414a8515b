from django.apps import AppConfig


class WorkflowConfig(AppConfig):
    name = "workflow"

    def ready(self) -> None:
        from workflow.disposal import services as disposal
        from workflow.notifications import subscriber as notifications
        from workflow.proposals import filing, reassign, search

        notifications.connect()
        disposal.connect()
        filing.connect()
        # Reorganisations (directory.reorg) move pending steps with the post through this hook.
        reassign.connect()
        search.register()
        register_documents_hooks()


def register_documents_hooks() -> None:
    """Documents never imports workflow: these answer its questions about proposals (route
    visibility of attachments, decided proposals to file, approved disposals). Tests that
    reset the records' hooks call it again."""
    from documents import hooks as documents_hooks
    from workflow.disposal import services as disposal
    from workflow.proposals import selectors

    documents_hooks.register(
        route=selectors.attached_document_ids, proposal=selectors.decided_proposal_for
    )
    disposal.connect()
