"""What each recorded action means, in words: one table of action code → label.

Every action any app records (``audit.services.record`` and the apps' wrappers such as
workflow's ``audit_proposal``) has a row here; tests/audit/test_labels.py greps the code for
recorded actions and fails on one without a label. A code not in the table (an older release's,
say) is shown as itself.
"""

from __future__ import annotations

from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

ACTION_LABELS: dict[str, Promise] = {
    # audit
    "audit.viewed": _("Viewed the audit log"),
    "audit.exported": _("Exported the audit log"),
    "audit.verified": _("Verified the audit log"),
    # sign-in
    "auth.login": _("Signed in"),
    "auth.logout": _("Signed out"),
    "auth.login_failed": _("Sign-in failed"),
    "auth.locked_out": _("Locked out after failed sign-ins"),
    "auth.token_issued": _("API token issued"),
    "auth.token_revoked": _("API token revoked"),
    # directory
    "directory.sync": _("Directory synchronised"),
    "directory.admin_created": _("Administrator created"),
    "directory.group_created": _("Group created"),
    "directory.group_member_added": _("Group member added"),
    "directory.delegation_created": _("Delegation created"),
    "directory.delegation_revoked": _("Delegation revoked"),
    "directory.absence_registered": _("Absence registered"),
    "directory.absence_cancelled": _("Absence withdrawn"),
    "directory.reorg_staged": _("Reorganisation staged"),
    "directory.reorg_applied": _("Reorganisation applied"),
    "directory.reorg_cancelled": _("Reorganisation cancelled"),
    "directory.unit_created": _("Unit created"),
    "directory.unit_updated": _("Unit changed"),
    "directory.unit_renamed": _("Unit renamed"),
    "directory.unit_merged": _("Unit merged"),
    "directory.unit_closed": _("Unit closed"),
    "directory.unit_deactivated": _("Unit deactivated"),
    "directory.position_created": _("Position created"),
    "directory.person_created": _("Person added"),
    "directory.person_updated": _("Person changed"),
    "directory.person_transferred": _("Person transferred (異動)"),
    "directory.person_deactivated": _("Person left"),
    # approval (電子決裁)
    "workflow.proposal_created": _("Proposal drafted"),
    "workflow.proposal_updated": _("Proposal edited"),
    "workflow.proposal_submitted": _("Proposal submitted"),
    "workflow.proposal_withdrawn": _("Proposal withdrawn"),
    "workflow.proposal_cancelled": _("Proposal cancelled"),
    "workflow.circulation_created": _("Circulation started"),
    "workflow.task_approved": _("Approved"),
    "workflow.task_approved_ahead": _("Approved ahead (引上げ)"),
    "workflow.task_consulted": _("Agreed (合議)"),
    "workflow.task_decided": _("Decided (決裁)"),
    "workflow.task_seen": _("Seen (供覧)"),
    "workflow.task_sent_back": _("Sent back"),
    "workflow.task_rejected": _("Rejected"),
    "workflow.post_review_acknowledged": _("Post-review acknowledged (後閲)"),
    "workflow.step_reassigned": _("Step handed to another person"),
    "workflow.attachment_added": _("Attachment added"),
    "workflow.attachment_replaced": _("Attachment replaced"),
    "workflow.attachment_removed": _("Attachment removed"),
    "workflow.ruleset_copied": _("Authority rules copied"),
    "workflow.disposal_proposed": _("Disposal proposed"),
    "workflow.disposal_skipped": _("Disposal skipped"),
    # DX action plans
    "dx.action_plan_created": _("DX plan drafted"),
    "dx.action_plan_updated": _("DX plan edited"),
    "dx.action_plan_submitted": _("DX plan submitted"),
    "dx.action_plan_cancelled": _("DX plan cancelled"),
    "dx.action_plan_claimed": _("DX plan claimed"),
    "dx.action_plan_reviewed": _("DX plan reviewed by the secretariat"),
    "dx.action_plan_sent_back": _("DX plan sent back"),
    "dx.action_plan_approved": _("DX plan approved by the committee"),
    "dx.action_plan_report_saved": _("DX plan results saved"),
    "dx.action_plan_completed": _("DX plan results reported"),
    "dx.settings_updated": _("DX settings changed"),
    # records (文書管理)
    "documents.uploaded": _("Document registered"),
    "documents.version_added": _("New document version"),
    "documents.viewed": _("Document viewed"),
    "documents.page_viewed": _("Document page viewed"),
    "documents.downloaded": _("Document downloaded"),
    "documents.integrity_failed": _("Document integrity check failed"),
    "documents.legal_hold_placed": _("Legal hold placed"),
    "documents.legal_hold_lifted": _("Legal hold lifted"),
    "documents.binder_created": _("Binder created"),
    "documents.binder_closed": _("Binder closed"),
    "documents.binder_transferred": _("Binder transferred"),
    "documents.binder_disposed": _("Binder disposed of"),
    "documents.filed": _("Filed into a binder"),
    "documents.proposal_filed": _("Proposal filed into a binder"),
    "documents.register_incoming": _("Entered in the incoming register (収受)"),
    "documents.register_outgoing": _("Entered in the outgoing register (発送)"),
    "documents.access_denied": _("Access refused"),
    # chat
    "chat.room_created": _("Chat room created"),
    "chat.room_renamed": _("Chat room renamed"),
    "chat.member_added": _("Chat member added"),
    "chat.member_removed": _("Chat member removed"),
    "chat.message_edited": _("Chat message edited"),
    "chat.message_deleted": _("Chat message deleted"),
    "chat.message_mandatory": _("Chat message marked as must-read"),
    "chat.mandatory_reminded": _("Must-read reminder sent"),
    "chat.messages_purged": _("Chat messages purged"),
    "chat.exported": _("Chat exported"),
    "chat.legal_hold_placed": _("Chat legal hold placed"),
    "chat.legal_hold_released": _("Chat legal hold released"),
    "chat.filed_as_record": _("Chat filed as a record"),
    "chat.unit_rooms_synced": _("Unit rooms synchronised"),
    # council
    "council.meeting_created": _("Council meeting created"),
    "council.agenda_item_added": _("Agenda item added"),
    "council.agenda_item_updated": _("Agenda item changed"),
    "council.agenda_item_deleted": _("Agenda item removed"),
    "council.agenda_item_moved": _("Agenda item moved"),
    "council.session_created": _("Council session created"),
    "council.meeting_updated": _("Council meeting changed"),
    "council.material_uploaded": _("Council material uploaded"),
    "council.material_replaced": _("Council material replaced"),
    "council.material_published": _("Council material published"),
    "council.presenter_goto": _("Presenter turned the page"),
    "council.committee_created": _("Council committee created"),
    "council.councilor_created": _("Councilor created"),
    "council.councilor_updated": _("Councilor updated"),
    "council.totp_enrolled": _("Authenticator enrolled"),
    "council.totp_reset": _("Authenticator reset"),
}

# Filters of kinds of event that the auditor looks for together.
SIGN_IN_FAILURES = ("auth.login_failed", "auth.locked_out")
# A refused access is recorded as ``<app>.access_denied`` (or any ``…_denied``/``…_refused``).
REFUSED_SUFFIXES = ("_denied", "_refused")

TARGET_LABELS: dict[str, Promise] = {
    "workflow.proposal": _("Proposal"),
    "documents.document": _("Document"),
    "documents.binder": _("Binder"),
    "auth.user": _("User"),
    "directory.person": _("Person"),
    "directory.orgunit": _("Unit"),
    "chat.room": _("Chat room"),
    "chat.message": _("Chat message"),
    "council.meeting": _("Council meeting"),
    "council.material": _("Council material"),
    "council.councilsession": _("Council session"),
    "council.agendaitem": _("Agenda item"),
    "workflow.actionplan": _("DX plan"),
}


# Words for the keys that events' details use most; other keys are shown as they are.
DETAIL_LABELS: dict[str, Promise] = {
    "round": _("Round"),
    "step": _("Step"),
    "kind": _("Kind"),
    "document_number": _("Document number"),
    "username": _("User name"),
    "method": _("Method"),
    "comment": _("Comment"),
    "title": _("Title"),
    "fields": _("Changed fields"),
    "filters": _("Filters"),
    "page": _("Page"),
    "document": _("Document"),
    "attachment": _("Attachment"),
    "version": _("Version"),
    "acting_for": _("On behalf of"),
    "ok": _("Result"),
    "count": _("Events"),
    "problem": _("Problem"),
    "member": _("Member"),
    "name": _("Name"),
    "amount": _("Amount"),
    "category": _("Category"),
}


def details_lines(details: Any) -> list[tuple[str, str]]:
    """An event's details as (label, text) pairs for a person to read; hashes shortened."""
    if not isinstance(details, dict):
        return [("", _plain(details))] if details not in (None, "") else []
    lines = []
    for key in sorted(details):
        value = details[key]
        if value in (None, "", [], {}):
            continue
        label = DETAIL_LABELS.get(key)
        lines.append((str(label) if label is not None else key, _plain(value)))
    return lines


def _plain(value: Any) -> str:
    if isinstance(value, bool):
        return str(_("yes")) if value else str(_("no"))
    if isinstance(value, list):
        return "、".join(_plain(v) for v in value)
    if isinstance(value, dict):
        return "、".join(f"{k}: {_plain(v)}" for k, v in sorted(value.items()))
    text = str(value)
    if len(text) == 64 and all(c in "0123456789abcdef" for c in text):
        return f"{text[:12]}…"
    return text


def action_label(code: str) -> str:
    """The words for ``code``; the code itself when it has none."""
    label = ACTION_LABELS.get(code)
    return str(label) if label is not None else code


def target_label(target_type: str) -> str:
    label = TARGET_LABELS.get(target_type)
    return str(label) if label is not None else target_type


def action_choices() -> list[tuple[str, str]]:
    """(code, label) for a select, grouped by app as in the table."""
    return [(code, str(label)) for code, label in ACTION_LABELS.items()]
