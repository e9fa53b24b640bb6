"""Pipeline stages: extract claims, retrieve passages, compare, aggregate."""
