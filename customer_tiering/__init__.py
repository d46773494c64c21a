"""Python helpers for the customer tiering dbt project."""
