"""Every model of the workflow app, for Django (one app label, ``workflow``); each lives with
its concept: the authority table (``authority/models.py``), proposals (``proposals/models.py``,
``attachments_models.py``, ``drafting_models.py``), the DX action plan (``dx/models.py``) and
disposal (``disposal/models.py``). Other apps import them from here."""

from workflow.authority.models import (  # noqa: F401
    AmountRange,
    ApprovalLevel,
    AuthorityRule,
    AuthorityRuleSet,
    Category,
    ConsultationRule,
)
from workflow.proposals.models import *  # noqa: F403

# isort: split
from workflow.dx.models import ActionPlan, DXDecision, DXSettings  # noqa: F401

# isort: split
from workflow.disposal.models import DisposalProposalBinder  # noqa: F401

# isort: split
from workflow.proposals.attachments_models import (  # noqa: F401
    ProposalAttachment,
    RoundAttachment,
    RoundContent,
)
from workflow.proposals.drafting_models import LetterTemplate, ProposalTemplate  # noqa: F401
