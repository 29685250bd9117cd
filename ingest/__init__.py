"""OpenLineage ingestion: events from Spark, Airflow and dbt into the graph."""
