"""Curriculum content and quiz grading.

May import: access, audit, models and the ground. Nothing of matching or SMS.
"""
