"""The similarity index behind "more related trials": terms, profiles, keys and the lists found."""

from __future__ import annotations

from django.db import models

from .trial import Trial


class SimilarityTerm(models.Model):
    """A feature the similarity engine compares trials on, with its document frequency.

    ``key`` starts with its signal (see ``related.SIGNALS``): ``c:`` a
    condition name, ``m:``/``a:`` a condition MeSH term or ancestor, ``i:``
    an intervention name, ``t:``/``e:`` a word of the description or the
    eligibility criteria, ``d:`` a design fact, ``p:`` the population (a
    condition key the trial enrols people with but does not study, or a
    group such as ``p:pregnancy``).
    """

    key = models.CharField(max_length=600, unique=True)
    label = models.CharField(max_length=600, help_text="How a reason names it.")
    document_count = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return self.key


class SimilarityProfile(models.Model):
    """A trial's weighted feature vector: sorted term ids and their weights, packed."""

    trial = models.OneToOneField(Trial, on_delete=models.CASCADE, primary_key=True, related_name="similarity_profile")
    term_ids = models.BinaryField()
    weights = models.BinaryField()

    def __str__(self) -> str:
        return f"profile of trial {self.trial_id}"


class SimilarityKey(models.Model):
    """A trial's most telling features: the index candidates are found by."""

    # No index of its own: the look-up index below starts with the term.
    term = models.ForeignKey(
        SimilarityTerm, on_delete=models.CASCADE, db_constraint=False, db_index=False, related_name="+"
    )
    trial = models.ForeignKey(Trial, on_delete=models.CASCADE, related_name="+")
    weight = models.FloatField()

    class Meta:
        indexes = [models.Index(fields=["term", "trial", "weight"], name="similarity_key_lookup")]

    def __str__(self) -> str:
        return f"{self.term_id} → {self.trial_id}"


class SimilarTrial(models.Model):
    """A trial found similar to another, with its score and the reasons it scored."""

    trial = models.ForeignKey(Trial, on_delete=models.CASCADE, related_name="similar_trials")
    other = models.ForeignKey(Trial, on_delete=models.CASCADE, related_name="+")
    score = models.FloatField()
    reasons = models.JSONField(default=list)
    tier = models.PositiveSmallIntegerField(
        default=1,
        help_text="What it shares with the trial: 0 its main aspect and its population, 1 its main aspect, "
        "2 neither (words, an intervention), 3 only its population (related.tiers.Tier). Ranks before the score.",
    )

    class Meta:
        ordering = ["tier", "-score", "other_id"]
        constraints = [models.UniqueConstraint(fields=["trial", "other"], name="unique_similar_trial")]

    def __str__(self) -> str:
        return f"{self.trial_id} ~ {self.other_id} ({self.score:.2f})"
