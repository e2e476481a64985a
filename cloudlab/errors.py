"""Typed errors: each carries the exit code the CLI returns and a sentence for the user.

The CLI prints ``str(error)`` and exits with ``error.exit_code``; no traceback reaches a user
for any of these.
"""

from __future__ import annotations


class CloudlabError(Exception):
    """Base class: a problem the user can act on."""

    exit_code = 2


class ScenarioError(CloudlabError):
    """A scenario folder is missing or invalid."""


class UnknownScenarioError(ScenarioError):
    """No scenario with that id."""


class LabError(CloudlabError):
    """A lab is missing, already exists or is in the wrong state."""


class LabLockedError(LabError):
    """Another cloudlab command holds the lab's lock."""

    exit_code = 75


class DockerUnavailableError(CloudlabError):
    """The Docker engine is not installed, not running or not reachable."""

    exit_code = 69


class ImageBuildError(CloudlabError):
    """The base image could not be built."""


class PlaybookFailedError(CloudlabError):
    """An Ansible run ended in failure; the message names the host, task and reason."""


class GradingError(CloudlabError):
    """The rubric could not be run (not a low score: a broken rubric or environment)."""

    exit_code = 3
