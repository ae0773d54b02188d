"""The content type registry: the one public way a type (core or add-on) joins the tree.

``config.add_content_type(...)`` declares a type's model, its schema (one
pydantic model for the HTML forms and the JSON API, which also gives its JSON
Schema), where it may live and what it may hold. Folder and Document are
registered through it like any add-on's type.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError
from pyramid.config import Configurator
from pyramid.registry import Registry

from charter.errors import Conflict, NotFound, ValidationFailed
from charter.i18n import _
from charter.input.json import join_pointer
from charter.input.messages import validation_message
from charter.tree.models import Node
from charter.workflow.definitions import Workflow, WorkflowRegistry

REGISTRY_KEY = "charter.content.types"


@dataclass(frozen=True)
class ContentType:
    """Everything Charter knows about one type of node."""

    name: str
    title: str
    model: type[Node]
    schema: type[BaseModel]
    allowed_parents: frozenset[str] | None = None
    allowed_children: frozenset[str] | None = None
    default_view: str = ""
    icon: str = "file-earmark"
    addable: bool = True
    # Nodes of this type are made from uploaded bytes (ContentService.upload), not from fields.
    upload: bool = False
    # The name of the workflow its nodes follow (charter.workflow); None: no workflow.
    workflow: str | None = None

    @property
    def is_container(self) -> bool:
        """Whether nodes of this type hold children."""
        return self.model.is_container

    def validate(self, data: dict[str, Any], pointer_prefix: str = "") -> dict[str, Any]:
        """``data`` checked and converted by the type's schema; ValidationFailed names fields."""
        try:
            return self.schema.model_validate(data).model_dump()
        except ValidationError as exc:
            raise ValidationFailed(
                [
                    (
                        # An error about the whole object (a model validator) has no field.
                        pointer_prefix + _pointer(error["loc"]),
                        validation_message(error),
                    )
                    for error in exc.errors()
                ]
            ) from None

    def json_schema(self) -> dict[str, Any]:
        """The JSON Schema of the fields a client sends to add or edit such a node."""
        return self.schema.model_json_schema()


def _pointer(location: tuple[str | int, ...]) -> str:
    """A pydantic error location as a JSON Pointer without its leading "/" (RFC 6901: a key
    holding "/" or "~" is escaped)."""
    pointer = ""
    for part in location:
        pointer = join_pointer(pointer, part)
    return pointer


class TypeRegistry:
    """The registered content types, by name and by model class."""

    def __init__(self, workflows: WorkflowRegistry | None = None) -> None:
        self._by_name: dict[str, ContentType] = {}
        # The workflows the types follow (``config.add_workflow``).
        self.workflows = workflows or WorkflowRegistry()

    def add(self, content_type: ContentType) -> None:
        """Register ``content_type``; a second type of the same name is a configuration error."""
        if content_type.name in self._by_name:
            raise Conflict(f"content type {content_type.name!r} is registered twice")
        self._by_name[content_type.name] = content_type
        self.workflows.assign(content_type.name, content_type.workflow)

    def workflow_of(self, node: Node) -> Workflow | None:
        """The workflow ``node``'s type follows, or None."""
        return self.workflows.for_type(node.type_name)

    def initial_state(self, type_name: str) -> str | None:
        """The workflow state a new node of ``type_name`` starts in (None: no workflow)."""
        return self.workflows.initial_state(type_name)

    def get(self, name: str) -> ContentType:
        """The type called ``name``; NotFound for an unknown one."""
        try:
            return self._by_name[name]
        except KeyError:
            raise NotFound(
                _("no content type named ${name}", mapping={"name": repr(name)})
            ) from None

    def of(self, node: Node) -> ContentType:
        """The type of ``node``."""
        return self.get(node.type_name)

    def __iter__(self):
        return iter(sorted(self._by_name.values(), key=lambda t: t.name))

    def addable_in(self, parent: Node) -> list[ContentType]:
        """The types a person may add inside ``parent`` (its "Add" menu), in name order."""
        return [child for child in self if child.addable and self.fits(parent, child)]

    def fits(self, parent: Node, child_type: ContentType) -> bool:
        """Whether a node of ``child_type`` may be placed inside ``parent``."""
        if not parent.is_container:
            return False
        parent_type = self.of(parent)
        return (
            parent_type.allowed_children is None or child_type.name in parent_type.allowed_children
        ) and (child_type.allowed_parents is None or parent_type.name in child_type.allowed_parents)

    def check_placement(self, parent: Node, child_type: ContentType) -> None:
        """Refuse (Conflict) to put a node of ``child_type`` inside ``parent``."""
        if not self.fits(parent, child_type):
            raise Conflict(
                _(
                    "a ${type} cannot be placed in ${path}",
                    mapping={"type": _(child_type.title), "path": parent.path},
                )
            )


def types_of(registry: Registry) -> TypeRegistry:
    """The type registry of a Pyramid registry."""
    return registry[REGISTRY_KEY]


def add_content_type(
    config: Configurator,
    name: str,
    model: type[Node],
    schema: type[BaseModel],
    *,
    title: str | None = None,
    allowed_parents: Iterable[str] | None = None,
    allowed_children: Iterable[str] | None = None,
    default_view: str = "",
    icon: str = "file-earmark",
    addable: bool = True,
    upload: bool = False,
    workflow: str | None = None,
) -> None:
    """Directive ``config.add_content_type``: register a content type.

    ``name`` is the polymorphic identity of ``model`` (``@type`` in JSON).
    ``allowed_parents``/``allowed_children`` are type names (None: any).
    ``workflow`` names a workflow registered with ``config.add_workflow``
    (None: the type has none, and its nodes are seen by any role).
    """
    content_type = ContentType(
        name=name,
        title=title or name,
        model=model,
        schema=schema,
        allowed_parents=None if allowed_parents is None else frozenset(allowed_parents),
        allowed_children=None if allowed_children is None else frozenset(allowed_children),
        default_view=default_view,
        icon=icon,
        addable=addable,
        upload=upload,
        workflow=workflow,
    )

    def register() -> None:
        types_of(config.registry).add(content_type)

    # The discriminator makes Pyramid report two types of one name as a conflict.
    config.action(("charter.content_type", name), register)
