// One task per component per party of a job.
CREATE CONSTRAINT task_key IF NOT EXISTS
FOR (task:Task) REQUIRE (task.job_id, task.component, task.role, task.party_id) IS UNIQUE
