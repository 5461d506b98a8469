"""Import every domain's models, so the mapper and Alembic see the whole schema."""

from examplatform.audit.models import AuditEntry  # noqa: F401
from examplatform.auth.models import PasswordResetToken, RoleAssignment, User  # noqa: F401
from examplatform.bank.models import ItemReview, ItemVersion  # noqa: F401
from examplatform.commission.models import (  # noqa: F401
    AgreedScore,
    Commission,
    CommissionMember,
    ConflictMeasure,
    CriterionScore,
    Decision,
    DecisionConfirmation,
    Declaration,
    MemberSubmission,
    ScoreSheet,
    TrainingRecord,
)
from examplatform.institutions.models import (  # noqa: F401
    EvidenceDocument,
    ExperiencePeriod,
    Institution,
    StaffMember,
    ValidationCentre,
)
from examplatform.notifications.models import OutboxMessage  # noqa: F401
from examplatform.practical.models import PracticalAttempt, PracticalSetup  # noqa: F401
from examplatform.sessions.models import Enrolment, Irregularity, ValidationSession  # noqa: F401
from examplatform.theory.models import (  # noqa: F401
    Answer,
    Attempt,
    FormItem,
    JournalEntry,
    PaperEntry,
    TestBlueprint,
    TestForm,
)
