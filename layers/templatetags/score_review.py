from django import template
from django.utils import timezone

from layers.models import Score

register = template.Library()


@register.simple_tag
def overdue_review_count():
    """How many current scores are past their review date."""
    return Score.objects.overdue_for_review(timezone.localdate()).count()
