"""Curriculum content and quiz grading."""
