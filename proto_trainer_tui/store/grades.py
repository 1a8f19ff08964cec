"""A call's grade: a supervisor's grade overrides the evaluation's. The one place that says so."""

from __future__ import annotations

from sqlalchemy import func, select

from .tables import evaluations, reviews


def call_grade(session_id):
    """The grade of the call ``session_id`` (a column or a value), as an SQL expression: the latest
    review's grade where a supervisor gave one, else the latest evaluation's, else NULL."""
    overridden = (select(reviews.c.grade).where(reviews.c.session_id == session_id, reviews.c.grade.is_not(None))
                  .order_by(reviews.c.id.desc()).limit(1).scalar_subquery())
    evaluated = (select(evaluations.c.grade).where(evaluations.c.session_id == session_id)
                 .order_by(evaluations.c.id.desc()).limit(1).scalar_subquery())
    return func.coalesce(overridden, evaluated)
