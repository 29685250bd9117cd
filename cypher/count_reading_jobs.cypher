// How many jobs with a task that read the table lie in a time range.
MATCH (:Table {namespace: $namespace, name: $name})-[:INPUT_OF]->(:Task)
      -[:PART_OF]->(job:Job)
WHERE job.create_time >= $start_time AND job.create_time < $end_time
RETURN count(DISTINCT job) AS count
