"""The answers of `/api/totals` and `/api/public/totals` as msgspec Structs (see `responses`).

Every status and every category is a field of its own, zeros included, so the schema lists them
all; tests check these fields against the lifecycle's enums.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from msgspec import UNSET, Meta, UnsetType, field

from collecte.web.responses import Answer, Kilograms, Xpf

Devices = Annotated[int, Meta(description="Devices")]
Co2eKg = Annotated[
    float,
    Meta(
        description=(
            "Kilograms of CO₂ equivalent avoided by reuse: for each reused (delivered) device, its "
            "category's yearly factor × the expected years of extra use (ADEME 2022 study of "
            "refurbished products), counted because it replaces the purchase of a new device; "
            "each category rounded to 0.1 kg, a total is the sum of its rounded categories"
        )
    ),
]
Co2eUpperBoundKg = Annotated[
    float,
    Meta(
        description=(
            "Upper bound, not the figure of the method: a new device's whole manufacturing "
            "footprint (ADEME/Arcep 2022) per reused device, as if each one spared a new device "
            "for that device's whole life; rounded like co2e_avoided_kg"
        )
    ),
]


class PeriodOut(Answer):
    """The period asked: Nouméa days, both included; null leaves that side open."""

    start: date | None = field(name="from")
    end: date | None = field(name="to")
    timezone: Literal["Pacific/Noumea"]


class StatusCountsOut(Answer):
    """Devices per status, every status present."""

    registered: Devices
    collected: Devices
    received: Devices
    wiped: Devices
    refurbished: Devices
    recycled: Devices
    allocated: Devices
    delivered: Devices
    withdrawn: Devices
    missing: Devices
    returned: Devices


class CategoryCountsOut(Answer):
    """Devices per category, every category present."""

    laptop: Devices
    desktop: Devices
    monitor: Devices
    tablet: Devices
    smartphone: Devices
    printer: Devices
    network: Devices
    peripheral: Devices
    other: Devices


class DeviceTotalsOut(Answer):
    """The devices registered in the period: by their current status and by category."""

    total: Devices
    by_status: StatusCountsOut
    by_category: CategoryCountsOut


class DonorTotalsOut(Answer):
    """One donor's figures for the period."""

    id: int
    name: str
    registered: Devices
    collected: Devices
    declared_value_xpf: Annotated[Xpf, Meta(description="Of the devices collected")]


class ReconditionerTotalsOut(Answer):
    """One workshop's figures for the period."""

    id: int
    name: str
    collected: Devices
    reused: Annotated[int, Meta(description="Devices it prepared that were delivered")]
    recycled: Devices
    # The service adds the weight only when the workshop reused or recycled something.
    weight_kg: Annotated[
        Kilograms | UnsetType,
        Meta(description="Delivered and recycled; absent when it has neither"),
    ] = UNSET


class AssociationTotalsOut(Answer):
    """One association's figures for the period."""

    id: int
    name: str
    delivered: Devices
    weight_kg: Kilograms


class CategoryImpactOut(Answer):
    """The impact of one category's devices."""

    reused: Devices
    recycled: Devices
    weight_kg: Kilograms
    co2e_avoided_kg: Co2eKg
    co2e_upper_bound_kg: Co2eUpperBoundKg


class ImpactByCategoryOut(Answer):
    """The impact per category, every category present."""

    laptop: CategoryImpactOut
    desktop: CategoryImpactOut
    monitor: CategoryImpactOut
    tablet: CategoryImpactOut
    smartphone: CategoryImpactOut
    printer: CategoryImpactOut
    network: CategoryImpactOut
    peripheral: CategoryImpactOut
    other: CategoryImpactOut


class ImpactOut(Answer):
    """Reused (delivered) and recycled devices, their weight and the CO₂e reuse avoided."""

    reused: Devices
    recycled: Devices
    weight_kg: Annotated[Kilograms, Meta(description="Reused and recycled, in kilograms")]
    co2e_avoided_kg: Co2eKg
    co2e_upper_bound_kg: Co2eUpperBoundKg
    weight_reused_kg: Kilograms
    weight_recycled_kg: Kilograms
    by_category: ImpactByCategoryOut


class MonthOut(Answer):
    """Devices collected, delivered and recycled in one Nouméa month."""

    month: Annotated[str, Meta(pattern=r"^\d{4}-\d{2}$", description="YYYY-MM")]
    collected: Devices
    delivered: Devices
    recycled: Devices


class TargetOut(Answer):
    """The yearly target of devices collected, and how far along."""

    year: int
    devices: Annotated[int, Meta(description="The target")]
    progress: Annotated[int, Meta(description="Devices collected in the year so far")]
    percent: Annotated[float | None, Meta(description="Null when no target is set")]


class FactorOut(Answer):
    """What one device of a category weighs and, reused, spares, with the sources."""

    co2e_kg: Annotated[
        float,
        Meta(
            description="Kilograms of CO₂e one reused device avoids: "
            "co2e_per_year_kg × years_of_extra_use"
        ),
    ]
    co2e_source: Annotated[str, Meta(description="The source of the yearly factor")]
    co2e_per_year_kg: Annotated[
        float,
        Meta(description="Kilograms of CO₂e avoided per year a reused device replaces a new one"),
    ]
    co2e_per_year_source: Annotated[
        str, Meta(description="Its source, or the assumption it rests on")
    ]
    years_of_extra_use: Annotated[
        float, Meta(description="Years the reused device is expected to serve (an assumption)")
    ]
    years_source: str
    co2e_upper_bound_kg: Annotated[
        float,
        Meta(description="Upper bound only: a new device's manufacturing footprint, kg CO₂e"),
    ]
    co2e_upper_bound_source: str
    weight_kg: Kilograms
    weight_source: str


class FactorsOut(Answer):
    """The impact factors in use, every category present."""

    laptop: FactorOut
    desktop: FactorOut
    monitor: FactorOut
    tablet: FactorOut
    smartphone: FactorOut
    printer: FactorOut
    network: FactorOut
    peripheral: FactorOut
    other: FactorOut


class TotalsOut(Answer):
    """Totals and impact of a period; each figure counts the devices that entered a status in it."""

    period: PeriodOut
    devices: DeviceTotalsOut
    flow: Annotated[
        StatusCountsOut, Meta(description="Devices that entered each status in the period")
    ]
    donors: list[DonorTotalsOut]
    reconditioners: list[ReconditionerTotalsOut]
    associations: list[AssociationTotalsOut]
    impact: ImpactOut
    declared_value_xpf: Annotated[
        Xpf, Meta(description="Declared value of the devices collected in the period")
    ]
    monthly: list[MonthOut]
    target: TargetOut
    method: Annotated[str, Meta(description="How the impact is computed, in French")]
    method_en: Annotated[str, Meta(description="The same, in English")]
    factors: FactorsOut


class PublicTotalsOut(Answer):
    """The programme's counters since the start; no names."""

    collected: Devices
    delivered: Devices
    recycled: Devices
    co2e_avoided_kg: Co2eKg
    weight_kg: Kilograms
