"""The composition root: the one place where settings and profiles become a working receptionist."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from receptionist.acd.desk import TransferDesk
from receptionist.acd.handoff import AcdHandoff, QueueRoutes
from receptionist.acd.service import AcdService
from receptionist.brain.base import Brain
from receptionist.brain.fallback import FallbackBrain
from receptionist.brain.offline.brain import OfflineBrain
from receptionist.brain.offline.classifier import ConcernClassifier
from receptionist.brain.offline.embedder import SentenceEmbedder
from receptionist.brain.offline.faq import FaqMatcher
from receptionist.brain.offline.policy import OfflinePolicy, person_concern
from receptionist.brain.phone import find_phone
from receptionist.brain.tools import CallTools, FaqIndex
from receptionist.calls import Call, CallSummary, utcnow
from receptionist.config.profile import BusinessProfile
from receptionist.config.settings import Settings
from receptionist.conversation import Conversation, OnQueued
from receptionist.dashboard.profiles import stored_profiles
from receptionist.escalation.handoff import Handoff, NoAgents
from receptionist.escalation.summary import LLMSummariser
from receptionist.prompts import DEFAULT_PROMPTS_DIR, load_replies
from receptionist.storage.database import Database
from receptionist.storage.repository import CallRepository, TenantRepository

if TYPE_CHECKING:
    from receptionist.voice.session import VoiceModels

log = logging.getLogger(__name__)


class UnknownTenant(LookupError):
    """No business answers on that number or id."""


@dataclass(frozen=True)
class Tenant:
    """One business, ready to take calls: its profile and its trained brains."""

    profile: BusinessProfile
    brain: Brain
    offline: OfflineBrain
    faq: FaqIndex


def build_offline_brain(
    profile: BusinessProfile, embedder: SentenceEmbedder, prompts_dir: Path = DEFAULT_PROMPTS_DIR
) -> tuple[OfflineBrain, FaqIndex]:
    classifier = ConcernClassifier.train(profile, embedder)
    policy = OfflinePolicy(replies=load_replies(prompts_dir), person_concern=person_concern(profile))
    brain = OfflineBrain(classifier=classifier, policy=policy)
    return brain, FaqMatcher(profile.faq, embedder)


def build_tenant(
    settings: Settings, profile: BusinessProfile, embedder: SentenceEmbedder, prompts_dir: Path
) -> Tenant:
    """One business's receptionist: the offline brain trained on its profile, behind the LLM if enabled."""
    offline, faq = build_offline_brain(profile, embedder, prompts_dir)
    brain: Brain = offline
    if settings.llm_enabled:
        from receptionist.brain.llm.brain import LLMBrain

        brain = FallbackBrain(
            primary=LLMBrain.from_settings(settings, profile, prompts_dir=prompts_dir), secondary=offline
        )
    return Tenant(profile=profile, brain=brain, offline=offline, faq=faq)


def apply_stored_profiles(db: Database, profiles: Iterable[BusinessProfile]) -> list[BusinessProfile]:
    """``profiles`` (from the files), each replaced by its tenant's profile edited on the dashboard, if any."""
    stored = stored_profiles(db)
    return [stored.get(p.tenant_id, p) for p in profiles]


@dataclass
class Receptionist:
    """Every tenant's receptionist in this process, sharing one embedder, one database, one handoff."""

    settings: Settings
    db: Database | None
    tenants: dict[str, Tenant]
    handoff: Handoff = field(default_factory=NoAgents)
    llm_summariser: LLMSummariser | None = None
    clock: Callable[[], datetime] = utcnow
    on_queued: OnQueued | None = None  # where a call the ACD queued goes to hold (see ``attach_acd``)
    prompts_dir: Path = DEFAULT_PROMPTS_DIR
    _replacing: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    @classmethod
    def build(
        cls,
        settings: Settings,
        profiles: Iterable[BusinessProfile],
        *,
        handoff: Handoff | None = None,
        with_database: bool = True,
        prompts_dir: Path = DEFAULT_PROMPTS_DIR,
        clock: Callable[[], datetime] = utcnow,
    ) -> Receptionist:
        embedder = SentenceEmbedder.shared()
        llm_summariser: LLMSummariser | None = None
        profiles = list(profiles)
        db = None
        if with_database:  # opened first: profiles edited on the dashboard override the files
            settings.data_dir.mkdir(parents=True, exist_ok=True)
            db = Database(settings.resolved_database_url())
            db.migrate()
            profiles = apply_stored_profiles(db, profiles)
        tenants: dict[str, Tenant] = {}
        for profile in profiles:
            if profile.tenant_id in tenants:
                raise ValueError(f"two profiles share tenant id {profile.tenant_id!r}")
            tenants[profile.tenant_id] = build_tenant(settings, profile, embedder, prompts_dir)
        if settings.llm_enabled:
            from receptionist.escalation.summary_llm import summarise_with_llm

            async def _summarise(call: Call, profile: BusinessProfile) -> CallSummary:
                return await summarise_with_llm(call, profile, settings, prompts_dir=prompts_dir)

            llm_summariser = _summarise
        if settings.webhook_secret.get_secret_value() == "change-me" and any(
            r.type == "webhook" and not r.secret_env for t in tenants.values() for r in t.profile.recipients
        ):
            log.warning("webhooks are signed with the default secret; set RECEPTIONIST_WEBHOOK_SECRET")
        if db is not None:
            repo = TenantRepository(db)
            for t in tenants.values():
                repo.upsert(t.profile.tenant_id, t.profile.name)
        return cls(
            settings=settings,
            db=db,
            tenants=tenants,
            handoff=handoff or NoAgents(),
            llm_summariser=llm_summariser,
            clock=clock,
            prompts_dir=prompts_dir,
        )

    def replace_profile(self, profile: BusinessProfile) -> None:
        """Answer the tenant's new calls with ``profile`` (edited on the dashboard): its brain is trained
        again (blocking: call it in a thread) and the tenant swapped in one assignment, so calls in progress
        keep the tenant they started with. Raises :class:`UnknownTenant` for a tenant not served here."""
        self.tenant(profile.tenant_id)
        with self._replacing:  # one at a time, so two saves cannot lose one another's swap
            tenant = build_tenant(self.settings, profile, SentenceEmbedder.shared(), self.prompts_dir)
            self.tenants = {**self.tenants, profile.tenant_id: tenant}
        if self.db is not None:
            TenantRepository(self.db).upsert(profile.tenant_id, profile.name)

    def attach_acd(
        self, service: AcdService, *, routes: QueueRoutes | None = None, desk: TransferDesk | None = None
    ) -> TransferDesk:
        """Send escalations to the ACD; a queued caller holds (announcements, message or callback on
        request) until an agent takes the call. Returns the desk that runs the hold sessions."""
        desk = desk or TransferDesk(service)
        self.handoff = AcdHandoff(service, routes=routes)
        self.on_queued = desk.hold
        return desk

    def voice_models(self) -> VoiceModels:
        """The speech models every voice call in this process shares (loaded on first use; blocking)."""
        from receptionist.voice.session import VoiceModels, VoiceOptions
        from receptionist.voice.stt import SttOptions
        from receptionist.voice.tts import TtsOptions

        s = self.settings
        options = VoiceOptions(
            stt=SttOptions(model_dir=str(s.whisper_model_dir) if s.whisper_model_dir else None),
            tts=TtsOptions(voice_path=str(s.piper_voice) if s.piper_voice else None),
        )
        return VoiceModels.load(options)

    def tenant(self, tenant_id: str) -> Tenant:
        try:
            return self.tenants[tenant_id]
        except KeyError:
            raise UnknownTenant(f"no business with id {tenant_id!r}") from None

    def tenant_for_number(self, dialled: str) -> Tenant:
        """The business reached on ``dialled`` (any format, matched as E.164)."""
        for t in self.tenants.values():
            e164 = find_phone(dialled, t.profile.country)
            if e164 and e164 in t.profile.e164_numbers():
                return t
        raise UnknownTenant(f"no business answers on {dialled!r}")

    def conversation(
        self,
        tenant_id: str,
        *,
        caller_number: str | None = None,
        dialled_number: str | None = None,
        channel: str = "text",
    ) -> Conversation:
        tenant = self.tenant(tenant_id)
        profile = tenant.profile
        caller = find_phone(caller_number, profile.country) if caller_number else None
        call = Call(tenant_id=tenant_id, caller_number=caller, dialled_number=dialled_number, channel=channel)
        tools = CallTools(profile=profile, call=call, handoff=self.handoff, faq=tenant.faq, clock=self.clock)
        store = CallRepository(self.db, tenant_id) if self.db is not None else None
        return Conversation(
            profile=profile,
            tools=tools,
            brain=tenant.brain,
            store=store,
            rescue=tenant.offline,
            llm_summariser=self.llm_summariser,
            clock=self.clock,
            on_queued=self.on_queued,
        )
