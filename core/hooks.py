"""Job hooks that join resource accounting and dependency distribution to jobs."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fate_lineage.distribution.service import DependencyService
    from fate_lineage.graph.lineage import Properties
    from fate_lineage.resources.accounting import ResourceAccounting


class ServiceJobHooks:
    """Reject jobs that can never fit, give Spark jobs their archives, and
    return an ended job's resources."""

    def __init__(
        self, accounting: ResourceAccounting, distribution: DependencyService
    ) -> None:
        self.accounting = accounting
        self.distribution = distribution

    def before_submit(
        self, job_id: str | None, roles: Any, runtime_conf: Any
    ) -> list[Properties]:
        """Check the job's demand, then make sure its archives are stored."""
        demand = self.accounting.check_new_job(
            job_id or "(new job)", roles, runtime_conf
        )
        return self.distribution.archives_for(demand.engine)

    def after_submit(self, job: Properties, prepared: object) -> None:
        if isinstance(prepared, list) and prepared:
            self.distribution.link_job(job["job_id"], prepared)

    def after_end(self, job: Properties) -> None:
        self.accounting.return_ended_job(job)
