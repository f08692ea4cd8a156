"""Generation parameters and their bounds: one definition for the API, the pages and the worker."""

from dataclasses import asdict, dataclass

from config.errors import DomainError


class InvalidParameters(DomainError):
    code = "invalid_parameters"


@dataclass(frozen=True)
class Bound:
    minimum: float
    maximum: float
    default: float | None
    multiple_of: int | None = None


BOUNDS: dict[str, Bound] = {
    "num_frames": Bound(8, 64, 16),
    "width": Bound(128, 832, 256, multiple_of=16),
    "height": Bound(128, 832, 256, multiple_of=16),
    "steps": Bound(1, 100, 24),
    "guidance": Bound(0.0, 20.0, 5.0),
    "seed": Bound(0, 2**31 - 1, None),
}
INTEGER_PARAMS = frozenset({"num_frames", "width", "height", "steps", "seed"})


@dataclass(frozen=True)
class GenerationParams:
    num_frames: int = 16
    width: int = 256
    height: int = 256
    steps: int = 24
    guidance: float = 5.0
    seed: int | None = None

    def as_dict(self) -> dict:
        return asdict(self)


def params_validate(raw: dict | None) -> GenerationParams:
    """Check every parameter against its bound; unknown names and wrong types are refused."""
    raw = dict(raw or {})
    unknown = sorted(set(raw) - set(BOUNDS))
    if unknown:
        raise InvalidParameters(f"unknown parameter(s): {', '.join(unknown)}; known: {', '.join(BOUNDS)}")
    values = {}
    for name, bound in BOUNDS.items():
        value = raw.get(name, bound.default)
        if value is None:
            values[name] = None
            continue
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise InvalidParameters(f"{name} must be a number, got {type(value).__name__}")
        if name in INTEGER_PARAMS and value != int(value):
            raise InvalidParameters(f"{name} must be a whole number, got {value}")
        if not bound.minimum <= value <= bound.maximum:
            raise InvalidParameters(f"{name} must be between {bound.minimum:g} and {bound.maximum:g}, got {value}")
        if bound.multiple_of and int(value) % bound.multiple_of:
            raise InvalidParameters(f"{name} must be a multiple of {bound.multiple_of}, got {value}")
        values[name] = int(value) if name in INTEGER_PARAMS else float(value)
    return GenerationParams(**values)
