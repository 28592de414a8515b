"""The DX action plan (DX推進体制): a second process definition on the approval engine.

A 担当課 drafts an action plan, the DX推進事務局 (a unit) reviews cost and technology, the
DX推進委員会 (a group) approves it, and the 担当課 reports its results (効果検証) by a due date.
See docs/workflow-engine.md, "DX action plan".
"""
