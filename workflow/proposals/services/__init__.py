"""Every write of the approval workflow: proposals, their rounds, task actions, 後閲.

The public services, by module: ``proposals`` (create, edit, submit, withdraw, cancel),
``reviewers`` (optional reviewers and a circulation's recipients),
``task_actions`` (approve, send back, reject, approve ahead, 後閲), ``attachments`` (添付資料 while
drafting, frozen per round at submission), ``_common`` (what they share).

Delegations (代決) are directory data: ``directory.services.delegation_create``/``_revoke``.

Each service is keyword-only and atomic. Actions on a proposal lock its row first
(``SELECT ... FOR UPDATE``) and then re-read the step, so that two approvals of one task, or a
send-back racing an approval, serialise: exactly one succeeds and the others get ``Conflict``
(409). The lock order is always proposal row → document counter → audit chain head, so
concurrent decisions cannot deadlock. See ``docs/workflow-engine.md``.
"""

from workflow.proposals.services.attachments import (
    proposal_attachment_link,
    proposal_attachment_remove,
    proposal_attachment_replace,
    proposal_attachment_upload,
)
from workflow.proposals.services.proposals import (
    TITLE_MAX_LENGTH,
    circulation_create,
    proposal_cancel,
    proposal_create,
    proposal_submit,
    proposal_update,
    proposal_withdraw,
)
from workflow.proposals.services.reviewers import reviewers_by_username
from workflow.proposals.services.task_actions import (
    document_number,
    post_review_ack,
    post_reviews_mark_opened,
    task_approve,
    task_approve_ahead,
    task_reject,
    task_send_back,
)

__all__ = [
    "TITLE_MAX_LENGTH",
    "circulation_create",
    "document_number",
    "post_review_ack",
    "post_reviews_mark_opened",
    "proposal_attachment_link",
    "proposal_attachment_remove",
    "proposal_attachment_replace",
    "proposal_attachment_upload",
    "proposal_cancel",
    "proposal_create",
    "proposal_submit",
    "proposal_update",
    "proposal_withdraw",
    "reviewers_by_username",
    "task_approve",
    "task_approve_ahead",
    "task_reject",
    "task_send_back",
]
