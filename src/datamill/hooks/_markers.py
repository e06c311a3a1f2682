"""The pluggy markers for datamill's hook specifications and implementations."""

import pluggy

PROJECT_NAME = "datamill"

hook_spec = pluggy.HookspecMarker(PROJECT_NAME)
hook_impl = pluggy.HookimplMarker(PROJECT_NAME)
"""Decorate a method of a hooks class to implement the hook with the method's name."""
