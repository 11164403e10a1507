"""Daily means and order statistics across samples: what the P10/P50/P90 bands are made of.

The daily series come day-major, ``(series, days, samples)``, as the kernel writes them:
each day's samples are contiguous. A band needs, for each series and day, only a few
order statistics of the samples (for a linear-interpolation percentile, the ranks
``floor(q (n - 1))`` and the one after). Sorting every day's samples does far more than
that. Here each series' days are summed (in sample order, for the mean) and followed in
order, in parallel over (series, part of the days); for each day:

- A *bracket* for each group of nearby wanted ranks, two values ``lo <= hi`` expected to
  enclose them, comes from the day before: its values a few ranks either side of them,
  moved by that day's drift (the daily distributions change smoothly, strike days apart).
- One vectorised pass counts the values below each ``lo`` and flags those near a bracket
  (a few percent); the flagged ones are sorted into their brackets (ties with ``lo`` or
  ``hi`` only counted). If a group's ranks fall inside its bracket, they are selected
  among the kept values (quickselect, Hoare 1961), with tomorrow's bracket ends.
- Otherwise (a part's first day, a jump, a bracket grown too wide) the day is bracketed
  afresh from every 8th sample (a few standard deviations of rank either side) and
  counted again; if that misses too, or there are few samples, the ranks are selected
  from (a copy of) the whole day.

The bracket only decides how fast the answer comes: the values returned are always the
samples' own values at the wanted ranks, exact order statistics. Each mean is the day's
samples summed in sample order, divided by their number.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

#: comparisons, and sums in sample order: no fastmath, so nothing is reassociated
_OPTIONS = {"cache": True, "error_model": "numpy"}  # IEEE division, as JIT_OPTIONS
#: a series' days are split into parts of at least this many days
DAY_BLOCK = 32
#: days summed together (four running sums at once), then ranked while still in cache
SUM_DAYS = 4
#: from this many samples, a day without a usable bracket gets one from every
#: SEED_STRIDE-th sample before its ranks are selected from all of them
SEED_MIN = 2048
SEED_STRIDE = 8
#: brackets are followed day to day along at most this many parts of a series (the
#: parts run in parallel; each starts without a bracket)
PARTS = 2


@njit(inline="always", **_OPTIONS)
def _swap(a, i, j):
    a[i], a[j] = a[j], a[i]


@njit(**_OPTIONS)
def select_rank(a, left, right, k):
    """Rearrange ``a[left:right + 1]`` so that ``a[k]`` holds the value it would hold if
    that stretch were sorted, with nothing larger before ``k`` and nothing smaller after.

    Quickselect: Hoare partition, median-of-three pivot (equal values split evenly).
    After ``2 log2(n) + 8`` rounds without finishing, the rest is sorted instead, so the
    worst case stays O(n log n).
    """
    rounds = 0
    limit = 2 * int(math.log2(right - left + 2)) + 8
    while right > left:
        if rounds >= limit:
            a[left:right + 1].sort()
            return
        rounds += 1
        mid = (left + right) >> 1
        if a[mid] < a[left]:
            _swap(a, mid, left)
        if a[right] < a[left]:
            _swap(a, right, left)
        if a[right] < a[mid]:
            _swap(a, right, mid)
        pivot = a[mid]
        i = left
        j = right
        while i <= j:
            while a[i] < pivot:
                i += 1
            while pivot < a[j]:
                j -= 1
            if i <= j:
                _swap(a, i, j)
                i += 1
                j -= 1
        # now a[left..j] <= pivot <= a[i..right], and a[j+1..i-1] == pivot
        if k <= j:
            right = j
        elif k >= i:
            left = i
        else:
            return


@njit(**_OPTIONS)
def select_ranks(a, ranks):
    """Rearrange ``a`` so that ``a[k]`` is its value of rank ``k`` (0 = smallest) for every
    ``k`` in ``ranks`` (ascending, distinct, in ``0 … len(a) - 1``)."""
    # segments (left, right, first rank, end of ranks) still to do
    stack = np.empty((ranks.shape[0] + 1, 4), dtype=np.int64)
    stack[0, 0], stack[0, 1], stack[0, 2], stack[0, 3] = 0, a.shape[0] - 1, 0, ranks.shape[0]
    top = 1
    while top > 0:
        top -= 1
        left, right, first, end = stack[top, 0], stack[top, 1], stack[top, 2], stack[top, 3]
        if end - first == 1:
            select_rank(a, left, right, ranks[first])
            continue
        middle = (first + end) // 2  # the middle rank splits the rest in two
        k = ranks[middle]
        select_rank(a, left, right, k)
        if middle > first:
            stack[top, 0], stack[top, 1], stack[top, 2], stack[top, 3] = left, k - 1, first, middle
            top += 1
        if end > middle + 1:
            stack[top, 0], stack[top, 1] = k + 1, right
            stack[top, 2], stack[top, 3] = middle + 1, end
            top += 1


@njit(**_OPTIONS)
def _sort_small(a):
    """Insertion sort, for a handful of values."""
    for i in range(1, a.shape[0]):
        x = a[i]
        j = i - 1
        while j >= 0 and a[j] > x:
            a[j + 1] = a[j]
            j -= 1
        a[j + 1] = x


@njit(**_OPTIONS)
def _unique_sorted(a):
    """Drop repeats from sorted ``a`` in place; returns how many values are left."""
    if a.shape[0] == 0:
        return 0
    count = 1
    for i in range(1, a.shape[0]):
        if a[i] != a[count - 1]:
            a[count] = a[i]
            count += 1
    return count


@njit(**_OPTIONS)
def _groups(ranks, n):
    """Ranks close together (within ``n / 64``) share a bracket: ``(first, end)`` pairs."""
    bounds = np.empty((ranks.shape[0], 2), dtype=np.int64)
    count = 0
    gap = max(1, n // 64)
    for r in range(ranks.shape[0]):
        if count > 0 and ranks[r] - ranks[r - 1] <= gap:
            bounds[count - 1, 1] = r + 1
        else:
            bounds[count, 0] = r
            bounds[count, 1] = r + 1
            count += 1
    return bounds[:count]


@njit(inline="always", **_OPTIONS)
def _bracket_value(r, lo, hi, at_lo, kept):
    """The value of rank ``r`` within a bracket: ``at_lo`` × ``lo``, the sorted ``kept``,
    then ``hi`` repeated."""
    if r < at_lo:
        return lo
    if r < at_lo + kept.shape[0]:
        return kept[r - at_lo]
    return hi


@njit(inline="always", **_OPTIONS)
def _test(brackets, g, n_groups):
    """``(centre, reach)``: ``|x - centre| <= reach`` for every ``x`` in group ``g``'s
    bracket (with room for rounding), and for few others; never true without one."""
    if g >= n_groups or brackets[g, 2] == 0.0:
        return 0.0, -1.0
    lo = brackets[g, 0]
    hi = brackets[g, 1]
    if np.isfinite(lo) and np.isfinite(hi):
        return 0.5 * lo + 0.5 * hi, 0.5 * hi - 0.5 * lo + 1e-12 * (abs(lo) + abs(hi)) + 1e-300
    return 0.0, np.inf


@njit(**_OPTIONS)
def _inside3(column, brackets, counts, held, flags, g0, n_groups):
    """For groups ``g0 … g0 + 2`` (those that exist and have a bracket): in ``counts[g]``,
    how many values are below, equal to ``lo``, equal to ``hi`` (above ``lo``) and
    strictly inside, those kept in ``held[g]``; the last row of ``held`` is scratch, and
    so is ``flags`` (uint8, a multiple of 8 long, zero past ``len(column)``)."""
    n = column.shape[0]
    lo0, lo1, lo2 = np.inf, np.inf, np.inf
    for g in range(g0, min(g0 + 3, n_groups)):
        counts[g, :] = 0
    if g0 < n_groups and brackets[g0, 2] != 0.0:
        lo0 = brackets[g0, 0]
    if g0 + 1 < n_groups and brackets[g0 + 1, 2] != 0.0:
        lo1 = brackets[g0 + 1, 0]
    if g0 + 2 < n_groups and brackets[g0 + 2, 2] != 0.0:
        lo2 = brackets[g0 + 2, 0]
    c0, r0 = _test(brackets, g0, n_groups)
    c1, r1 = _test(brackets, g0 + 1, n_groups)
    c2, r2 = _test(brackets, g0 + 2, n_groups)
    # one vectorised pass: the counts below, and a flag for each value near a bracket;
    # then the flagged values go to the spare row (the flags read eight at a time,
    # mostly all clear), and from there into their groups
    below0 = 0
    below1 = 0
    below2 = 0
    for i in range(n):
        x = column[i]
        below0 += x < lo0
        below1 += x < lo1
        below2 += x < lo2
        flags[i] = (abs(x - c0) <= r0) | (abs(x - c1) <= r1) | (abs(x - c2) <= r2)
    spare = held[held.shape[0] - 1]
    near = 0
    words = flags.view(np.uint64)
    for word in range((n + 7) // 8):
        bits = words[word]
        if bits != 0:
            for j in range(8):
                if (bits >> np.uint64(8 * j)) & np.uint64(0xFF):
                    spare[near] = column[word * 8 + j]
                    near += 1
    for g in range(g0, min(g0 + 3, n_groups)):
        if brackets[g, 2] == 0.0:
            continue
        lo = brackets[g, 0]
        hi = brackets[g, 1]
        at_lo = 0
        at_hi = 0
        inside = 0
        kept = held[g]
        for i in range(near):
            x = spare[i]
            if x == lo:
                at_lo += 1
            elif x == hi:
                at_hi += 1
            elif lo < x < hi:
                kept[inside] = x
                inside += 1
        counts[g, 1] = at_lo
        counts[g, 2] = at_hi
        counts[g, 3] = inside
    for g in range(g0, min(g0 + 3, n_groups)):
        if brackets[g, 2] != 0.0:
            counts[g, 0] = below0 if g == g0 else (below1 if g == g0 + 1 else below2)


@njit(**_OPTIONS)
def _fits(counts, brackets, g, k_first, k_last, cap):
    """Whether group ``g``'s bracket (counted by :func:`_inside3`) holds ranks
    ``k_first … k_last`` with at most ``cap`` values strictly inside."""
    below, at_lo, at_hi, inside = counts[g, 0], counts[g, 1], counts[g, 2], counts[g, 3]
    if brackets[g, 1] == brackets[g, 0]:
        at_hi = 0
    total = at_lo + inside + at_hi
    return (brackets[g, 2] != 0.0 and below <= k_first and k_last < below + total
            and inside <= cap)


@njit(**_OPTIONS)
def _seed_brackets(column, sub, ranks, groups, brackets, seed):
    """Bracket each group ``g`` with ``seed[g]`` from every :data:`SEED_STRIDE`-th value of
    ``column`` (copied to ``sub`` and reordered there): the values of the subsample a few
    of its standard deviations of rank either side of the group's ranks."""
    n = column.shape[0]
    m = (n + SEED_STRIDE - 1) // SEED_STRIDE
    for i in range(m):
        sub[i] = column[i * SEED_STRIDE]
    n_groups = groups.shape[0]
    ends = np.empty((n_groups, 2), dtype=np.int64)
    wanted = np.empty(2 * n_groups, dtype=np.int64)
    count = 0
    for g in range(n_groups):
        if not seed[g]:
            continue
        p_first = ranks[groups[g, 0]] / max(n - 1, 1)
        p_last = ranks[groups[g, 1] - 1] / max(n - 1, 1)
        spread = math.sqrt(m * max(p_first * (1.0 - p_first), p_last * (1.0 - p_last)))
        margin = int(4.0 * spread) + 2
        ends[g, 0] = max(0, int(math.floor(p_first * (m - 1))) - margin)
        ends[g, 1] = min(m - 1, int(math.ceil(p_last * (m - 1))) + margin)
        wanted[count] = ends[g, 0]
        wanted[count + 1] = ends[g, 1]
        count += 2
    if count == 0:
        return
    _sort_small(wanted[:count])
    count = _unique_sorted(wanted[:count])
    select_ranks(sub[:m], wanted[:count])
    for g in range(n_groups):
        if seed[g]:
            brackets[g, 0] = sub[ends[g, 0]]
            brackets[g, 1] = sub[ends[g, 1]]
            brackets[g, 2] = 1.0


@njit(**_OPTIONS)
def ranks_of_day(column, scratch, ranks, groups, brackets, held, counts, wanted, flags, out):
    """``out[r]`` = the value of rank ``ranks[r]`` of ``column`` (0 = smallest), every ``r``.

    ``groups`` from :func:`_groups`. ``brackets`` (one row ``[lo, hi, known, previous]``
    per group) is read and updated: ``known`` says whether ``lo``/``hi`` are set (from
    the day before); ``previous`` is the day before's value of the group's first rank
    (NaN if unknown), to follow the drift. Work arrays: ``held`` (groups + 1 × len(column)),
    ``counts`` (groups × 4, int64), ``wanted`` (len(ranks) + 4, int64), ``flags`` (uint8,
    len(column) rounded up to a multiple of 8, zero past len(column)). ``column`` is only
    read; ``scratch`` (len(column)) takes a copy where a whole day must be reordered.
    Returns how many groups were found within the day before's bracket (the fast way).

    With at least :data:`SEED_MIN` values, a group without a bracket (a part's first
    day) or whose bracket missed (a jump) is first bracketed from a subsample
    (:func:`_seed_brackets`) and counted again; only if that misses too are its ranks
    selected from the whole day.
    """
    n = column.shape[0]
    n_groups = groups.shape[0]
    slack = max(4, n // 256)  # ranks kept either side of the wanted ones
    cap = max(64, n // 16)  # the most values kept within a bracket from the day before
    seeded = np.zeros(n_groups, dtype=np.bool_)
    if n >= SEED_MIN:
        for g in range(n_groups):
            seeded[g] = brackets[g, 2] == 0.0
        if seeded.any():
            _seed_brackets(column, scratch, ranks, groups, brackets, seeded)
    # 1. how many below each bracket, and 2. what is inside, three brackets at a time
    for g0 in range(0, n_groups, 3):
        _inside3(column, brackets, counts, held, flags, g0, n_groups)
    if n >= SEED_MIN:  # brackets from the day before that missed: bracket them afresh
        missed = np.zeros(n_groups, dtype=np.bool_)
        for g in range(n_groups):
            missed[g] = not seeded[g] and not _fits(
                counts, brackets, g, ranks[groups[g, 0]], ranks[groups[g, 1] - 1], cap)
        if missed.any():
            _seed_brackets(column, scratch, ranks, groups, brackets, missed)
            for g0 in range(0, n_groups, 3):
                if missed[g0:g0 + 3].any():
                    _inside3(column, brackets, counts, held, flags, g0, n_groups)
            for g in range(n_groups):
                seeded[g] = seeded[g] or missed[g]
    # 3. read the ranks off each bracket, or select them from the whole day
    fast = 0
    copied = False  # whether ``scratch`` holds the day's values (reordered)
    for g in range(n_groups):
        first, end = groups[g, 0], groups[g, 1]
        k_first, k_last = ranks[first], ranks[end - 1]
        cap_g = max(64, n // 4) if seeded[g] else cap  # a subsample's bracket is wider
        # without a drift yet (the first days), tomorrow's bracket is made wider
        reach = slack if brackets[g, 3] == brackets[g, 3] else 4 * slack
        rank_lo, rank_hi = k_first - reach, k_last + reach
        lo, hi = brackets[g, 0], brackets[g, 1]
        below, at_lo, at_hi, inside = counts[g, 0], counts[g, 1], counts[g, 2], counts[g, 3]
        if hi == lo:
            at_hi = 0
        total = at_lo + inside + at_hi
        kept = held[g, :inside]
        if _fits(counts, brackets, g, k_first, k_last, cap_g):
            fast += not seeded[g]
            # put in place just the kept values read below (not a sort of them all): the
            # bracket's bottom and top, tomorrow's ends and the wanted ranks
            wanted[0] = 0
            wanted[1] = total - 1
            wanted[2] = rank_lo - below
            wanted[3] = rank_hi - below
            count = 4
            for r in range(first, end):
                wanted[count] = ranks[r] - below
                count += 1
            kept_count = 0
            for i in range(count):  # bracket ranks → places among the kept values
                if at_lo <= wanted[i] < at_lo + inside:
                    wanted[kept_count] = wanted[i] - at_lo
                    kept_count += 1
            _sort_small(wanted[:kept_count])
            kept_count = _unique_sorted(wanted[:kept_count])
            if kept_count:
                select_ranks(kept, wanted[:kept_count])
            for r in range(first, end):
                out[r] = _bracket_value(ranks[r] - below, lo, hi, at_lo, kept)
            # tomorrow's ends: today's values ``slack`` ranks out, or beyond what the
            # bracket holds, extrapolated at its mean step per rank
            bottom = _bracket_value(0, lo, hi, at_lo, kept)
            top = _bracket_value(total - 1, lo, hi, at_lo, kept)
            step = (top - bottom) / max(total - 1, 1)
            new_lo = -np.inf
            if rank_lo >= below:
                new_lo = _bracket_value(rank_lo - below, lo, hi, at_lo, kept)
            elif rank_lo >= 0:
                new_lo = bottom - (below - rank_lo) * step
            new_hi = np.inf
            if rank_hi < below + total:
                new_hi = _bracket_value(rank_hi - below, lo, hi, at_lo, kept)
            elif rank_hi < n:
                new_hi = top + (rank_hi - below - total + 1) * step
        else:  # select from the whole day: the wanted ranks and tomorrow's ends
            count = 0
            if rank_lo >= 0:
                wanted[count] = rank_lo
                count += 1
            for r in range(first, end):
                wanted[count] = ranks[r]
                count += 1
            if rank_hi < n:
                wanted[count] = rank_hi
                count += 1
            if not copied:
                scratch[:] = column
                copied = True
            select_ranks(scratch, wanted[:count])
            for r in range(first, end):
                out[r] = scratch[ranks[r]]
            new_lo = scratch[rank_lo] if rank_lo >= 0 else -np.inf
            new_hi = scratch[rank_hi] if rank_hi < n else np.inf
        # tomorrow's bracket: moved by today's drift of the first wanted rank
        drift = 0.0
        if brackets[g, 3] == brackets[g, 3]:  # known (not NaN)
            drift = out[first] - brackets[g, 3]
        brackets[g, 0] = new_lo + drift
        brackets[g, 1] = new_hi + drift
        brackets[g, 2] = 1.0
        brackets[g, 3] = out[first]
    return fast


@njit(parallel=True, **_OPTIONS)
def daily_bands(daily, banded, ranks, workers):
    """Per day, the mean of every series and order statistics of some, across samples.

    Parameters
    ----------
    daily : float64 array (n_series, days, samples), C-contiguous
        Daily series of every sample, day-major (any unit; passed through unchanged).
    banded : bool array (n_series,)
        Which series also get order statistics.
    ranks : int64 array, ascending, distinct, each in ``0 … samples - 1``
        Ranks wanted (0 = the smallest sample).
    workers : int
        Parallel workers (numba's thread count, say), each with its own work arrays.

    Returns
    -------
    means : float64 array (n_series, days)
        ``daily.mean(axis=-1)``, each day summed in sample order.
    ordered : float64 array (n_series, len(ranks), days)
        ``ordered[k, r, t]`` is the ``ranks[r]``-th smallest of ``daily[k, t]`` for a
        banded series ``k`` (same unit as ``daily``); unset for the others.
    fast : int
        How many (series, day, group of nearby ranks) were read off a bracket.
    finite : bool
        False if any value is NaN or infinite (then nothing returned means anything).
    """
    n_series, days, n = daily.shape
    parts = min(PARTS, max(1, days // DAY_BLOCK))
    part_days = (days + parts - 1) // parts
    n_tasks = n_series * parts
    workers = max(1, min(workers, n_tasks))
    means = np.empty((n_series, days))
    ordered = np.empty((n_series, ranks.shape[0], days))
    groups = _groups(ranks, n)
    n_groups = groups.shape[0]
    bad = np.zeros(n_tasks, dtype=np.bool_)
    fast = np.zeros(workers, dtype=np.int64)
    # each worker takes every workers-th task; tasks are part-major, so that each
    # worker's share covers the series alike
    for worker in prange(workers):
        scratch = np.empty(n)
        held = np.empty((n_groups + 1, n))
        counts = np.empty((n_groups, 4), dtype=np.int64)
        wanted = np.empty(ranks.shape[0] + 4, dtype=np.int64)
        picked = np.empty(ranks.shape[0])
        flags = np.zeros((n + 7) // 8 * 8, dtype=np.uint8)
        brackets = np.empty((n_groups, 4))
        for task in range(worker, n_tasks, workers):
            k = task % n_series
            start = (task // n_series) * part_days
            stop = min(days, start + part_days)
            brackets[:, 2] = 0.0  # none yet
            brackets[:, 3] = np.nan
            # SUM_DAYS days at a time: summed, then their ranks found while in cache
            for first in range(start, stop, SUM_DAYS):
                last = min(stop, first + SUM_DAYS)
                _day_sums(daily[k], first, last, means[k])
                for t in range(first, last):
                    if not np.isfinite(means[k, t]):  # NaN and infinities survive a sum
                        bad[task] = True
                    means[k, t] /= max(n, 1)
                if not banded[k] or n == 0:
                    continue
                for t in range(first, last):
                    fast[worker] += ranks_of_day(daily[k, t], scratch, ranks, groups,
                                                 brackets, held, counts, wanted, flags, picked)
                    for r in range(ranks.shape[0]):
                        ordered[k, r, t] = picked[r]
    return means, ordered, fast.sum(), not bad.any()


@njit(**_OPTIONS)
def _day_sums(series, start, stop, sums):
    """``sums[t]`` = the sum of ``series[t]`` in sample order, days ``start … stop - 1``.

    Four days at a time: four independent running sums, each in sample order (the same
    numbers as one day at a time), whose additions overlap.
    """
    n = series.shape[1]
    t = start
    while t + 4 <= stop:
        a = series[t]
        b = series[t + 1]
        c = series[t + 2]
        d = series[t + 3]
        sa = sb = sc = sd = 0.0
        for s in range(n):
            sa += a[s]
            sb += b[s]
            sc += c[s]
            sd += d[s]
        sums[t], sums[t + 1], sums[t + 2], sums[t + 3] = sa, sb, sc, sd
        t += 4
    while t < stop:
        total = 0.0
        for s in range(n):
            total += series[t, s]
        sums[t] = total
        t += 1
