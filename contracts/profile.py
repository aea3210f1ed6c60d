"""Run profiles: how hard the suites push (``--profile dev|ci|deep``).

* ``dev``: fast feedback while editing (a few cases per operation, no coverage phase).
* ``ci``: bounded and derandomized: the same seed gives the same cases (well under 5 minutes
  against the local sandbox on 2 cores).
* ``deep``: many examples and every schemathesis phase, for a night run or before a release.
"""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import HealthCheck, Phase, settings


@dataclass(frozen=True)
class Profile:
    name: str
    #: cases per operation in the conformance suite
    max_examples: int
    #: schemathesis phases of the per-operation conformance run
    phases: tuple[str, ...]
    #: state-machine runs (stateful phase and allocation suite) and steps per run
    stateful_examples: int
    stateful_steps: int
    derandomize: bool
    shrink: bool

    def settings(self, seed: int | None = None, *, max_examples: int | None = None,
                 steps: int | None = None) -> settings:
        """Hypothesis settings for this profile.

        With a ``seed`` the run is not derandomized: the seed (``--hypothesis-seed``, which
        ``invoca-sandbox contract --seed`` passes) makes it repeatable instead.
        """
        phases = [Phase.explicit, Phase.generate, Phase.target]
        if self.shrink:
            phases.append(Phase.shrink)
        chosen = settings(
            max_examples=max_examples if max_examples is not None else self.max_examples,
            deadline=None,
            derandomize=self.derandomize and seed is None,
            database=None,
            phases=phases,
            print_blob=False,
            suppress_health_check=list(HealthCheck),
        )
        return settings(chosen, stateful_step_count=steps) if steps is not None else chosen


PROFILES: dict[str, Profile] = {
    "dev": Profile("dev", max_examples=5, phases=("examples", "fuzzing"), stateful_examples=4,
                   stateful_steps=20, derandomize=False, shrink=False),
    "ci": Profile("ci", max_examples=8, phases=("examples", "coverage", "fuzzing"),
                  stateful_examples=6, stateful_steps=25, derandomize=True, shrink=True),
    "deep": Profile("deep", max_examples=150, phases=("examples", "coverage", "fuzzing"),
                    stateful_examples=60, stateful_steps=50, derandomize=False, shrink=True),
}
