"""Text patches for string columns: diff-match-patch in CoCalc's compact form.

A compact patch is a list of hunks `[diffs, start1, start2, length1, length2]`, `diffs` a list
of `[op, text]` with op -1 (delete), 0 (keep) or 1 (insert). Applying is fuzzy: a hunk whose
context is found near where it is expected applies there, one that is not found is skipped. That
is how two people typing into the same cell both keep their text.
"""

from __future__ import annotations

from diff_match_patch import diff_match_patch, patch_obj

from .errors import InvalidPatch

TextPatch = list[list[object]]

#: Bound on the work of one diff: min(a, b) * (a + b) for the changed middles a and b of the two
#: texts (what is left after their common prefix and suffix). Diffing costs about that in the
#: worst case; about 0.1 s in CPython at this bound. Past it, make_text_patch gives up.
MAX_DIFF_WORK = 1_000_000


class _BoundedDiff(diff_match_patch):
    """diff-match-patch without a deadline but with a bound on the work of one diff.

    No deadline: with one, the result of a fuzzy apply would depend on the speed of the
    machine, and replicas on different machines would disagree about the same patches. But
    applying a hunk whose context matches only at its ends diffs the hunk against the text
    between them, and without a bound a peer's patch of a few kilobytes could keep a replica
    (the project server included) busy for hours. Past MAX_DIFF_WORK the bisection answers as
    dmp's own does at a deadline ("nothing in common"), which depends on the texts alone: the
    hunk then fails to fit and is skipped, the same way on every replica.
    """

    def diff_bisect(self, text1: str, text2: str, deadline: float) -> list[tuple[int, str]]:
        a, b = len(text1), len(text2)
        if min(a, b) * (a + b) > MAX_DIFF_WORK:
            return [(self.DIFF_DELETE, text1), (self.DIFF_INSERT, text2)]
        return super().diff_bisect(text1, text2, deadline)


_dmp = _BoundedDiff()
_dmp.Diff_Timeout = 0


def check_text_patch(data: object, where: str) -> TextPatch:
    """Check that `data` is a compact patch that can be applied safely, and return it.

    Only start1/start2 and the diffs are used: lengths must be counts but are recomputed from
    the diffs, so a client that counts UTF-16 units (JavaScript) is still applied right. Each
    hunk must delete or insert something: diff_match_patch crashes on hunks of pure context.
    """
    if not isinstance(data, list):
        raise InvalidPatch(f"{where}: a text patch is a list of hunks, not {type(data).__name__}")
    for i, hunk in enumerate(data):
        at = f"{where}[{i}]"
        if not (isinstance(hunk, list) and len(hunk) == 5):
            raise InvalidPatch(f"{at}: a hunk is [diffs, start1, start2, length1, length2]")
        diffs, *numbers = hunk
        if not all(_is_count(n) for n in numbers):
            raise InvalidPatch(f"{at}: start1, start2, length1, length2 must be integers >= 0")
        if not isinstance(diffs, list):
            raise InvalidPatch(f"{at}[0]: diffs must be a list of [op, text]")
        for j, diff in enumerate(diffs):
            if not (
                isinstance(diff, list)
                and len(diff) == 2
                and type(diff[0]) is int
                and diff[0] in (-1, 0, 1)
                and isinstance(diff[1], str)
            ):
                raise InvalidPatch(f"{at}[0][{j}]: a diff is [op, text] with op -1, 0 or 1")
        if all(op == 0 for op, _ in diffs):
            raise InvalidPatch(f"{at}: a hunk must insert or delete something")
    return data


def apply_text_patch(patch: TextPatch, text: str) -> str:
    """Apply a checked compact patch fuzzily; hunks that do not fit are skipped."""
    hunks = []
    for diffs, start1, start2, _, _ in patch:
        hunk = patch_obj()
        hunk.diffs = [(op, s) for op, s in diffs]  # type: ignore[misc]
        hunk.start1, hunk.start2 = start1, start2
        hunk.length1 = sum(len(s) for op, s in hunk.diffs if op != 1)
        hunk.length2 = sum(len(s) for op, s in hunk.diffs if op != -1)
        hunks.append(hunk)
    return _dmp.patch_apply(hunks, text)[0]


def text_patch_diffs(patch: TextPatch) -> int:
    """How many diffs a compact patch holds: applying one copies the text about once each."""
    return sum(len(hunk[0]) for hunk in patch)  # type: ignore[arg-type]


def make_text_patch(before: str, after: str) -> TextPatch | None:
    """A compact patch from `before` to `after`, or None where sending `after` is better.

    The patch wins unless it carries more characters than `after` itself (mostly an edit that
    deletes more than it keeps, where a concurrent edit would not survive the patch anyway) or
    the diff would be too costly. Framing is not counted, so typing into a short cell still
    travels as a patch and merges with a collaborator's typing.
    """
    prefix = _dmp.diff_commonPrefix(before, after)
    suffix = _dmp.diff_commonSuffix(before[prefix:], after[prefix:])
    a, b = len(before) - prefix - suffix, len(after) - prefix - suffix
    if min(a, b) * (a + b) > MAX_DIFF_WORK:
        return None
    hunks = _dmp.patch_make(before, after)
    if sum(len(s) for h in hunks for _, s in h.diffs) > len(after):
        return None
    return [
        [[[op, s] for op, s in h.diffs], h.start1, h.start2, h.length1, h.length2] for h in hunks
    ]


def _is_count(value: object) -> bool:
    return type(value) is int and value >= 0
