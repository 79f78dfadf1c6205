from urllib.parse import urlsplit

from django.core.validators import URLValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from simple_history.models import HistoricalRecords

from layers.concurrency import VersionedModel
from layers.models import Layer

SOURCE_URL_MESSAGE = (
    "Enter the source's web address in full, starting with https:// or http://, "
    "e.g. https://www.reuters.com/…. Other kinds of link cannot be opened by "
    "every reader."
)


class DevelopmentQuerySet(models.QuerySet):
    def published(self, now=None):
        """Developments a reader may see at ``now``: live and past their time."""
        return self.filter(
            status=Development.Status.LIVE,
            published_at__lte=now or timezone.now(),
        )

    def newest_first(self):
        return self.order_by("-published_at", "-pk")


class Development(VersionedModel):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        LIVE = "live", "Publish at the set time"

    class State(models.TextChoices):
        DRAFT = "draft", "Draft"
        SCHEDULED = "scheduled", "Scheduled"
        PUBLISHED = "published", "Published"

    layer = models.ForeignKey(
        Layer, on_delete=models.CASCADE, related_name="developments"
    )
    title = models.CharField(max_length=200)
    slug = models.SlugField(
        max_length=220,
        allow_unicode=True,
        blank=True,
        help_text="The item's address. Left empty, it is made from the title.",
    )
    body = models.TextField(help_text="Markdown.")
    category = models.CharField(max_length=60)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.LIVE)
    published_at = models.DateTimeField(
        "publish time",
        default=timezone.now,
        help_text="Readers see the item from this moment on.",
    )
    date_is_known = models.BooleanField(
        "exact date known",
        default=True,
        help_text="Untick when the source gives no date: readers see “Recent”.",
    )
    source = models.CharField(
        max_length=200,
        blank=True,
        help_text="Who reported it, e.g. “Reuters” or “US Department of Energy "
        "press release”. Left empty with a link, readers see the link's domain.",
    )
    source_url = models.URLField(
        "source link",
        max_length=500,
        blank=True,
        validators=[
            URLValidator(schemes=["http", "https"], message=SOURCE_URL_MESSAGE)
        ],
        help_text="The page the item comes from, starting with https:// or http://.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()
    objects = DevelopmentQuerySet.as_manager()

    class Meta:
        ordering = ["-published_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["layer", "slug"], name="unique_development_slug_per_layer"
            )
        ]
        indexes = [models.Index(fields=["status", "-published_at"])]

    def __str__(self):
        return self.title

    def save(self, *args, **kwargs):
        if not self.slug:
            # A title of punctuation alone ("?!…") slugifies to nothing.
            self.slug = self._free_slug(
                slugify(self.title, allow_unicode=True)[:200] or "item"
            )
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("news:detail", args=[self.layer.slug, self.slug])

    def _free_slug(self, base):
        """``base``, or ``base-2``, ``base-3``… if the layer already has it."""
        taken = set(
            Development.objects.filter(layer_id=self.layer_id, slug__startswith=base)
            .exclude(pk=self.pk)
            .values_list("slug", flat=True)
        )
        slug, number = base, 2
        while slug in taken:
            slug, number = f"{base}-{number}", number + 1
        return slug

    @property
    def anchor(self):
        return f"development-{self.pk}"

    @property
    def has_source(self):
        return bool(self.source or self.source_url)

    @property
    def source_label(self):
        """The source as readers see it: its name, or else the link's domain."""
        if self.source:
            return self.source
        host = urlsplit(self.source_url).hostname or ""
        return host.removeprefix("www.")

    @property
    def is_public(self):
        return self.status == self.Status.LIVE and self.published_at <= timezone.now()

    @property
    def state(self):
        """Draft, scheduled (live from a future time) or published, as of now."""
        if self.status != self.Status.LIVE:
            return self.State.DRAFT
        if self.published_at > timezone.now():
            return self.State.SCHEDULED
        return self.State.PUBLISHED
