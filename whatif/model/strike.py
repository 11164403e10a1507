"""Strike → capacity lost (MODEL.md §1).

A salvo of ``missiles`` is launched at a plant made of serial production stages,
each with parallel aimpoints. Missiles launch and fly with ``launch_reliability``;
the site's air defence engages at most ``defense_engagements`` of them and destroys
each engaged missile with ``intercept_probability``; an arriving missile puts its
aimpoint out of action with ``aimpoint_kill_probability``. A stage keeps the share
of its aimpoints that survive and the plant keeps the smallest of those shares
(a bottleneck, Leontief production).

Two evaluations of the same model:

* :func:`capacity_loss` — expected values (deterministic mode), NumPy, vectorised.
* :func:`sampled_salvo_loss` — one random outcome per sample (Monte Carlo mode),
  missile by missile, numba-compiled; its draws come from :mod:`whatif.model.rng`.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from whatif.model._compile import JIT_OPTIONS, scalar, ufunc
from whatif.model.layout import StrikeWork
from whatif.model.rng import below, sub_key, uniform_pair

ALLOCATIONS = ("even", "bottleneck")


@scalar
def _expected_arrivals(missiles, launch_reliability, defense_engagements, intercept_probability):
    """Expected missiles reaching the target area, with saturating defences [missiles].

    Parameters
    ----------
    missiles : array_like
        Missiles launched in the salvo [missiles].
    launch_reliability : array_like
        Probability a missile launches and flies to the target area [probability].
    defense_engagements : array_like
        Most missiles the site's air defence can engage in one salvo [missiles].
    intercept_probability : array_like
        Probability an engaged missile is destroyed [probability].

    Returns
    -------
    numpy.ndarray
        Expected arrivals [missiles].

    Notes
    -----
    ``arrivals = N r - p_i min(N r, D)``: the defence engages missiles until its
    ``D`` engagements are used up, so a large salvo saturates it (MODEL.md §1).

    Examples
    --------
    >>> float(expected_arrivals(30, 0.9, 8, 0.5))
    23.0
    """
    launched = missiles * launch_reliability
    return launched - intercept_probability * min(launched, defense_engagements)


@scalar
def _arrival_probability(missiles, launch_reliability, defense_engagements, intercept_probability):
    """Per-missile probability of arriving, ``expected_arrivals / missiles`` [probability].

    For a salvo of zero missiles this is the limit as the salvo shrinks to nothing:
    ``r (1 - p_i)`` if ``D > 0``, else ``r``.

    Examples
    --------
    >>> round(float(arrival_probability(30, 0.9, 8, 0.5)), 4)
    0.7667
    """
    if missiles <= 0.0:
        if defense_engagements > 0.0:
            return launch_reliability * (1.0 - intercept_probability)
        return launch_reliability
    return (
        _expected_arrivals(missiles, launch_reliability, defense_engagements, intercept_probability)
        / missiles
    )


@scalar
def _aimpoint_destroyed_probability(missiles_per_aimpoint, arrival_probability,
                                    aimpoint_kill_probability):
    """Probability an aimpoint given ``k`` missiles is put out of action [probability].

    ``1 - (1 - a q)^k`` (Przemieniecki 2000; Washburn & Kress 2009), with ``a`` the
    per-missile arrival probability and ``q`` the kill probability of one arrival.

    Examples
    --------
    >>> round(float(aimpoint_destroyed_probability(2, 0.5, 0.8)), 4)
    0.64
    """
    return 1.0 - (1.0 - arrival_probability * aimpoint_kill_probability) ** missiles_per_aimpoint


@scalar
def targeted_stage(stage_aimpoints, bottleneck):
    """The stage a salvo aims at: its index, or -1 for every stage.

    Bottleneck allocation concentrates the salvo on the stage with the fewest aimpoints
    (the first such stage on a tie); even allocation spreads it over every aimpoint. The
    one place the choice is made: the expected and the sampled outcome both call it.

    Examples
    --------
    >>> stages = np.array([8, 4, 8])
    >>> int(targeted_stage(stages, True)), int(targeted_stage(stages, False))
    (1, -1)
    """
    if not bottleneck:
        return -1
    target = 0
    for j in range(1, stage_aimpoints.shape[0]):
        if stage_aimpoints[j] < stage_aimpoints[target]:
            target = j
    return target


@scalar
def targeted_aimpoint_count(stage_aimpoints, target):
    """Aimpoints the salvo is spread over: stage ``target``'s, or all if ``target < 0``."""
    if target >= 0:
        return stage_aimpoints[target]
    total = 0
    for j in range(stage_aimpoints.shape[0]):
        total += stage_aimpoints[j]
    return total


def targeted_aimpoints(stage_aimpoints, allocation: str) -> int:
    """Aimpoints the salvo is spread over: all of them ("even") or the smallest stage's."""
    if allocation not in ALLOCATIONS:
        raise ValueError(f"allocation must be one of {ALLOCATIONS}, not {allocation!r}")
    sizes = np.asarray(stage_aimpoints, dtype=np.int64).reshape(-1)
    return int(targeted_aimpoint_count(sizes, targeted_stage(sizes, allocation == "bottleneck")))


@scalar
def _expected_destroyed_share(missiles, aimpoints, arrival_probability, aimpoint_kill_probability):
    """Expected share of ``A`` aimpoints destroyed by ``N`` missiles spread evenly [share].

    Missiles are whole: each aimpoint gets ``k = N // A`` and ``N mod A`` of them one more,
    so the expected share is ``[(N mod A)(1 - s^(k+1)) + (A - N mod A)(1 - s^k)] / A`` with
    ``s = 1 - a q``, i.e. ``1 - s^k (1 - a q (N mod A) / A)`` (MODEL.md §1). When ``N/A`` is
    whole this is ``1 - (1 - a q)^(N/A)``. A fractional ``N`` interpolates linearly between
    the whole salvos on either side.

    Examples
    --------
    Two certain kills on four aimpoints destroy exactly half:

    >>> float(expected_destroyed_share(2, 4, 1.0, 1.0))
    0.5
    """
    kill = arrival_probability * aimpoint_kill_probability
    per_aimpoint = math.floor(missiles / aimpoints)
    extra = missiles - per_aimpoint * aimpoints  # aimpoints given one missile more
    return 1.0 - (1.0 - kill) ** per_aimpoint * (1.0 - kill * (extra / aimpoints))


def capacity_loss(
    missiles,
    launch_reliability,
    defense_engagements,
    intercept_probability,
    aimpoint_kill_probability,
    stage_aimpoints=(1,),
    allocation: str = "even",
):
    """Expected share of the plant's output capacity lost to one salvo [share].

    Parameters
    ----------
    missiles, launch_reliability, defense_engagements, intercept_probability
        As in :func:`expected_arrivals`.
    aimpoint_kill_probability : array_like
        Probability one arriving missile puts its aimpoint out of action [probability].
    stage_aimpoints : sequence of int
        Aimpoints of each serial stage [aimpoints].
    allocation : {"even", "bottleneck"}
        Spread missiles over all aimpoints, or concentrate them on the stage with
        the fewest aimpoints.

    Returns
    -------
    numpy.ndarray
        ``capacity_loss`` in [0, 1] [share].

    Notes
    -----
    The ``A`` targeted aimpoints get ``k = N // A`` missiles each and ``N mod A`` of them one
    more (:func:`expected_destroyed_share`), each missile arriving with ``a`` =
    :func:`arrival_probability`. With bottleneck allocation, or one stage, this is the
    exact expectation of the Monte Carlo outcome when the defence does not engage part of
    the salvo only (``D = 0``, ``p_i = 0`` or ``N <= D``). With even allocation over
    several stages it is each stage's exact expected loss (the same for every stage); the
    plant's expected loss, the expectation of the *largest* stage loss, is higher.

    Examples
    --------
    One stage of 10 aimpoints, 20 missiles, a = 0.5, q = 0.8:
    ``1 - 0.6**2 = 0.64``.

    >>> round(float(capacity_loss(20, 0.5, 0, 0.0, 0.8, (10,))), 4)
    0.64
    """
    targeted = float(targeted_aimpoints(stage_aimpoints, allocation))
    arrival = arrival_probability(missiles, launch_reliability, defense_engagements,
                                  intercept_probability)
    return expected_destroyed_share(missiles, targeted, arrival, aimpoint_kill_probability)


@scalar
def expected_salvo_loss(missiles, strike, stage_aimpoints):
    """Expected share of one site's capacity lost to a salvo of ``missiles`` [share].

    ``strike`` is a :class:`~whatif.model.layout.StrikeParams`; the kernel's
    deterministic path, the same arithmetic as :func:`capacity_loss`.
    """
    targeted = targeted_aimpoint_count(stage_aimpoints,
                                       targeted_stage(stage_aimpoints, strike.bottleneck))
    a = _arrival_probability(float(missiles), strike.launch_reliability,
                             strike.defense_engagements, strike.intercept_probability)
    return _expected_destroyed_share(float(missiles), float(targeted), a,
                                     strike.aimpoint_kill_probability)


@njit(**JIT_OPTIONS)
def sampled_salvo_loss(key, missiles, strike, stage_aimpoints):
    """One random outcome of a salvo: the share of capacity lost [share].

    Missile ``i`` draws ``(u1, u2)`` (the two 32-bit halves of one hash): it launches if
    ``u1 < r``; the first ``D`` launched missiles are engaged and each is destroyed if
    ``u2 < p_i``; a missile that arrives destroys its aimpoint if ``u1 < r q`` (given a
    launch, ``u1 / r`` is again uniform). Missiles go round-robin
    over the targeted aimpoints (:func:`targeted_stage`), taken in a random order per
    outcome when several stages are targeted, so a remainder of ``N mod A`` missiles and
    the engaged missiles fall on random aimpoints. Arrivals are binomial and kills are
    per aimpoint, as MODEL.md §1 asks. Draws are indexed by missile, so a larger salvo
    repeats the smaller one's outcome and adds to it.

    ``key`` is the outcome key of this sample and salvo (see :mod:`whatif.model.rng`);
    ``strike`` a :class:`~whatif.model.layout.StrikeParams`.
    """
    total = 0
    for j in range(stage_aimpoints.shape[0]):
        total += stage_aimpoints[j]
    work = StrikeWork(np.empty(total, dtype=np.int64), np.empty(total, dtype=np.bool_),
                      np.empty(stage_aimpoints.shape[0]))
    return sampled_salvo_loss_into(key, missiles, strike, stage_aimpoints, work)


@scalar
def sampled_salvo_loss_into(key, missiles, strike, stage_aimpoints, work):
    """:func:`sampled_salvo_loss` with scratch supplied by the caller.

    ``work`` is a :class:`~whatif.model.layout.StrikeWork` whose ``slot_stage`` and
    ``destroyed`` hold at least the total aimpoints and ``stage_lost`` one value per stage.
    """
    target = targeted_stage(stage_aimpoints, strike.bottleneck)
    return sampled_salvo_loss_at(key, missiles, strike, stage_aimpoints, target,
                                 targeted_aimpoint_count(stage_aimpoints, target), work)


@scalar
def sampled_salvo_loss_at(key, missiles, strike, stage_aimpoints, target, n_slots, work):
    """:func:`sampled_salvo_loss_into` with the targeted stage ``target``
    (:func:`targeted_stage`) and its ``n_slots`` aimpoints (:func:`targeted_aimpoint_count`)
    given: a site struck by several salvos works them out once."""
    slot_stage, destroyed, lost = work.slot_stage, work.destroyed, work.stage_lost
    n_stages = stage_aimpoints.shape[0]
    # stage of each slot, shuffled (Fisher-Yates with this outcome's own draws)
    pos = 0
    for j in range(n_stages):
        if target >= 0 and j != target:
            continue
        for _ in range(stage_aimpoints[j]):
            slot_stage[pos] = j
            pos += 1
    # the slots the missiles reach (missile i aims at slot i mod n_slots)
    reached = min(n_slots, int(missiles))
    if target < 0 and n_stages > 1:  # with one stage the order cannot matter
        # Fisher-Yates from the front: step i fixes slot i for good (later steps only swap
        # slots after it), so the first `reached` steps give the slots a salvo reaches, the
        # same whatever its size (a larger salvo's outcome contains a smaller one's)
        order_key = sub_key(key, 1)
        for i in range(min(reached, n_slots - 1)):
            j = i + below(order_key, i, n_slots - i)
            tmp = slot_stage[i]
            slot_stage[i] = slot_stage[j]
            slot_stage[j] = tmp
    destroyed[:reached] = False
    missile_key = sub_key(key, 2)
    r = strike.launch_reliability
    defense_engagements = strike.defense_engagements
    intercept_probability = strike.intercept_probability
    kill_threshold = r * strike.aimpoint_kill_probability
    launched = 0
    slot = -1  # missile i aims at slot i mod n_slots (counted, not divided: faster)
    for i in range(int(missiles)):
        slot += 1
        if slot == n_slots:
            slot = 0
        u1, u2 = uniform_pair(missile_key, i)
        # branch-free: the outcomes are random, so branches would be mispredicted
        is_launched = u1 < r
        engaged = is_launched & (launched < defense_engagements)
        launched += is_launched
        intercepted = engaged & (u2 < intercept_probability)
        destroyed[slot] |= is_launched & (not intercepted) & (u1 < kill_threshold)
    lost[:n_stages] = 0.0
    for s in range(reached):  # (branch-free: which slots are destroyed is random)
        lost[slot_stage[s]] += 1.0 if destroyed[s] else 0.0
    kept = 1.0
    for j in range(n_stages):
        share = 1.0 - lost[j] / stage_aimpoints[j]
        if share < kept:
            kept = share
    return 1.0 - kept


# Broadcasting NumPy ufuncs over the same code.
expected_arrivals = ufunc(_expected_arrivals, "float64(float64, float64, float64, float64)")
arrival_probability = ufunc(_arrival_probability, "float64(float64, float64, float64, float64)")
aimpoint_destroyed_probability = ufunc(_aimpoint_destroyed_probability,
                                       "float64(float64, float64, float64)")
expected_destroyed_share = ufunc(
    _expected_destroyed_share, "float64(float64, float64, float64, float64)"
)
