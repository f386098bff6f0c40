"""`--exclude`: dashboards, Metabase models or alerts left out of one publish, by name.

For a warehouse that does not build everything yet (a Spark target while a mart is being
ported, README "Running on Apache Spark"): what is excluded is neither validated nor written,
exactly as if it were not in the code (a later `--prune` archives it), and the summary names it.
A subscription of an excluded dashboard is left out with it. An unknown name is an error.
"""

from __future__ import annotations

import dataclasses

from experiment_analytics.metabase.errors import SpecError
from experiment_analytics.metabase.project import ProjectInfo
from experiment_analytics.metabase.spec import PublisherConfig, did_you_mean


def apply_exclusions(
    config: PublisherConfig, project: ProjectInfo, names: tuple[str, ...]
) -> tuple[PublisherConfig, ProjectInfo, list[str]]:
    """The configuration and project without `names`; and one note per excluded object."""
    if not names:
        return config, project, []
    known = {
        **{name: "dashboard" for name in project.dashboards},
        **{model.key: "Metabase model" for model in config.metabase_models},
        **{alert.key: "alert" for alert in config.alerts},
    }
    unknown = [name for name in names if name not in known]
    if unknown:
        raise SpecError(
            [
                f"--exclude {name!r}: no dashboard, Metabase model or alert of that name"
                f"{did_you_mean(name, known)}"
                for name in unknown
            ]
        )
    excluded = set(names)
    subscriptions = tuple(
        s for s in config.subscriptions if s.dashboard not in excluded and s.key not in excluded
    )
    config = config.model_copy(
        update={
            "metabase_models": tuple(m for m in config.metabase_models if m.key not in excluded),
            "alerts": tuple(a for a in config.alerts if a.key not in excluded),
            "subscriptions": subscriptions,
        }
    )
    project = dataclasses.replace(
        project,
        dashboards={k: v for k, v in project.dashboards.items() if k not in excluded},
    )
    notes = [f"excluded from this publish: {known[name]} {name}" for name in sorted(excluded)]
    return config, project, notes
