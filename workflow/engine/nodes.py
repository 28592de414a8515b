"""viewflow nodes of our own: the route's hub, a split whose branches are computed at run time,
and a join that asks once.

A route group of several steps (the parallel 合議 steps that share an order) is split here: one
branch per step, each branch task carrying ``{"step": <ProposalStep id>}`` in its ``data``. A
group of one step (a 回議 or 決裁 step, most of a route) needs neither split nor join: the hub
creates its review task itself, with the same ``data`` (about 13 fewer statements an approval),
and that review (``RouteReview``), once done, makes the hub's choice itself, so two reviews in a
row have no hub task between them (3 statements and a savepoint fewer again).

The hub decides without viewflow's savepoint around a Switch's conditions: it only guards a
condition that fails when exceptions are not propagated (viewflow's jobs and timers, which this
flow has none of); an error here rolls back the whole action.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from viewflow import this
from viewflow.workflow.activation import Activation
from viewflow.workflow.exceptions import FlowRuntimeError
from viewflow.workflow.nodes.join import Join, JoinActivation
from viewflow.workflow.nodes.split import Split, SplitActivation
from viewflow.workflow.nodes.switch import Switch, SwitchActivation
from viewflow.workflow.nodes.view import View, ViewActivation


def _hub_choice(hub: RouteHub, activation: Activation) -> tuple[Any, dict[str, Any] | None]:
    """What ``hub`` activates next for ``activation``'s process, and that task's data: its first
    case whose condition holds (or its default), with ``{"step": <id>}`` for the one-step
    review."""
    for node, condition in hub._branches:
        if condition is None or condition(activation):
            if node is hub._single:
                (step_id,) = hub._steps_of(activation)
                return node, {"step": step_id}
            return node, None
    raise FlowRuntimeError(f"No next task available for {hub.name}")


class RouteHubActivation(SwitchActivation):
    """Gives the task it creates its step when the chosen node is the one-step review."""

    @Activation.status.super()
    def activate(self) -> None:
        self.next_task, self._next_data = _hub_choice(self.flow_task, self)

    @Activation.status.super()
    def create_next(self) -> Any:
        yield self.next_task._create(self, self.task.token, data=self._next_data)


class RouteHub(Switch):
    """``RouteHub(steps_of, single=node)``: a Switch; when it picks ``single`` (a one-step group),
    that node's task gets ``{"step": <id>}`` from ``steps_of(act)``, as a split branch would."""

    activation_class = RouteHubActivation

    def __init__(self, steps_of: Callable[[Any], list[int]] | Any, *, single: Any, **kwargs: Any):
        super().__init__(**kwargs)
        self._steps_of = steps_of
        self._single = single

    def _resolve(self, instance: Any) -> None:
        super()._resolve(instance)
        self._steps_of = this.resolve(instance, self._steps_of)
        self._single = this.resolve(instance, self._single)


class RouteReviewActivation(ViewActivation):
    """Done, the review asks its hub what comes next and creates that task itself: the next
    one-step review, the split of a 合議 group, or the end. No hub task between two reviews."""

    @Activation.status.super()
    def create_next(self) -> Any:
        hub = self.flow_task._next
        if not isinstance(hub, RouteHub):
            yield from super().create_next()
            return
        node, data = _hub_choice(hub, self)
        yield node._create(self, self.task.token, data=data)


class RouteReview(View):
    """``flow.View`` for a one-step group whose ``Next`` is a ``RouteHub``: the hub's choice is
    made when the review is done (same cases, same callbacks), without a task of the hub's own:
    three statements and a savepoint fewer per approval."""

    activation_class = RouteReviewActivation


class RouteSplitActivation(SplitActivation):
    """One outgoing task per step id returned by the node's ``steps_of`` callable."""

    @Activation.status.super()
    def activate(self) -> None:
        branch = self.flow_task._branch
        self.next_tasks = [(branch, {"step": pk}) for pk in self.flow_task._steps_of(self)]
        if not self.next_tasks:
            raise FlowRuntimeError(f"No route step to activate for {self.flow_task.name}")


class RouteSplit(Split):
    """``RouteSplit(steps_of).Next(node)``: ``node`` once per step id of ``steps_of(act)``."""

    activation_class = RouteSplitActivation

    def __init__(self, steps_of: Callable[[Any], list[int]] | Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._steps_of = steps_of

    def _resolve(self, instance: Any) -> None:
        super()._resolve(instance)
        self._steps_of = this.resolve(instance, self._steps_of)

    @property
    def _branch(self) -> Any:
        if len(self._activate_next) != 1:
            raise FlowRuntimeError(f"{self.name} needs exactly one Next() node")
        return self._activate_next[0][0]


class RouteJoinActivation(JoinActivation):
    """viewflow's join asks ``is_done`` twice per arrival (``complete.can_proceed()``, then the
    transition's own condition check), two queries and our ``continue_on_condition`` each time.
    Nothing can change in between (one thread, one transaction, the process row locked), so
    the first answer is kept for this activation."""

    def is_done(self) -> bool:
        if getattr(self, "_is_done", None) is None:
            self._is_done = super().is_done()
        return self._is_done


class RouteJoin(Join):
    """``flow.Join`` with ``is_done`` asked once per arrival."""

    activation_class = RouteJoinActivation
