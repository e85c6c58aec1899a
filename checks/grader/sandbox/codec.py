"""The wire format between the grader and a lesson's worker: data only, in both directions.

A message is a JSON tree plus raw byte buffers. JSON decoding builds only dicts, lists, strings
and numbers, and each buffer becomes a tensor, an array or ``bytes`` through ``frombuffer`` with
an allow-listed dtype and a checked shape: nothing a worker sends is unpickled or imported, so a
crafted reply cannot run code in the grader. (``torch.load(weights_only=True)`` would be safe
too, but it is still an unpickler with an allow-list and a history of bypasses, and it zips each
tensor: raw buffers are both simpler to trust and faster.)

What crosses: None, bool, int, float, str, bytes, tensors (any device: through host memory,
device named), NumPy arrays, lists, tuples, dicts, ranges, torch dtypes and devices. Richer
values (models, fit results, records, figures) are mapped onto that by the side that sends them,
through the ``extra`` hooks of ``Encoder`` and ``Decoder``.

torch and NumPy are imported when a value needs them, never at the top: a tensor or an array can
only be sent once its module is loaded, and a light box's worker (``on_import.py``) runs a lesson
that imports neither without paying for them. Received ones import them on the spot.
"""

from __future__ import annotations

import functools
import json
import math
import socket
import struct
import sys

MAX_DEPTH = 64  # nesting a message may have: deeper is refused, not recursed into
# Bytes a reply may declare, checked before anything is allocated for it (the grader's default;
# ini sandbox_reply_mib): the largest reply of the course's lessons measured ~0.1 MiB (a figure's
# PNG); 64 MiB leaves a wide margin and bounds what a crafted length costs the grader.
MAX_MESSAGE = 64 * 2**20
# Bytes of a message's JSON part: the tree of numbers and strings that decodes to Python objects
# (several times its size in memory). Tensors travel as raw buffers beside it, outside this cap.
MAX_HEADER = 4 * 2**20
_LENGTH = struct.Struct("!Q")

DTYPE_NAMES = (
    "float16",
    "bfloat16",
    "float32",
    "float64",
    "complex64",
    "complex128",
    "uint8",
    "int8",
    "int16",
    "int32",
    "int64",
    "bool",
)
NUMPY_KINDS = "biufc"  # bool, ints, floats, complex: no object arrays
DEVICE_TYPES = ("cpu", "cuda", "meta")


class CodecError(TypeError):
    """A value that cannot cross between the grader and a lesson's process, in one line."""


@functools.cache
def torch_dtypes() -> dict:
    """The dtypes a tensor may have, by name (imports torch)."""
    import torch

    return {name: getattr(torch, name) for name in DTYPE_NAMES}


class Encoder:
    """Turns a value into a JSON tree and buffers. ``extra(value, encoder)`` maps what the basic
    types do not cover (a JSON dict with a ``"t"`` tag) or returns None to refuse it."""

    def __init__(self, extra=None) -> None:
        self.extra = extra
        self.buffers: list[bytes] = []
        self.tensors: list = []  # every tensor sent, in order (for in-place sync)

    def buffer(self, data: bytes) -> int:
        self.buffers.append(data)
        return len(self.buffers) - 1

    def encode(self, value, depth: int = 0):
        if depth > MAX_DEPTH:
            raise CodecError(f"a value nested more than {MAX_DEPTH} levels deep")
        if value is None or isinstance(value, (bool, str)):
            return value
        if isinstance(value, (int, float)) and type(value) in (int, float):
            return _number(value)
        # A value of torch's or NumPy's types exists only once that module is loaded.
        torch, np = sys.modules.get("torch"), sys.modules.get("numpy")
        if torch is not None and type(value) in (torch.Tensor, torch.nn.Parameter):
            return self.tensor(value)
        if np is not None and isinstance(value, np.ndarray) and value.dtype.kind in NUMPY_KINDS:
            array = np.ascontiguousarray(value)
            return {"t": "ndarray", "dtype": array.dtype.str, "shape": list(array.shape),
                    "b": self.buffer(array.tobytes())}  # fmt: skip
        if np is not None and isinstance(value, np.generic) and value.dtype.kind in NUMPY_KINDS:
            return _number(value.item())
        if isinstance(value, (list, tuple)):
            # A subclass (a namedtuple, torch.Size, torch.return_types) crosses as the plain
            # container: its items are the data, and no class of the lesson's is rebuilt here.
            items = [self.encode(item, depth + 1) for item in value]
            return {"t": "tuple" if isinstance(value, tuple) else "list", "v": items}
        if isinstance(value, dict):
            pairs = [
                [self.encode(k, depth + 1), self.encode(v, depth + 1)] for k, v in value.items()
            ]
            return {"t": "dict", "v": pairs}
        if type(value) in (bytes, bytearray):
            return {"t": "bytes", "b": self.buffer(bytes(value))}
        if type(value) is range:
            return {"t": "range", "v": [value.start, value.stop, value.step]}
        if torch is not None and isinstance(value, torch.device):
            return {"t": "device", "v": str(value)}
        if torch is not None and isinstance(value, torch.dtype):
            return {"t": "dtype", "v": str(value).removeprefix("torch.")}
        node = self.extra(value, self, depth) if self.extra else None
        if node is None:
            raise CodecError(f"a {type(value).__name__} ({_describe(value)})")
        return node

    def tensor(self, value) -> dict:
        import torch  # loaded: ``value`` is a tensor

        name = str(value.dtype).removeprefix("torch.")
        if name not in DTYPE_NAMES:
            raise CodecError(f"a tensor of dtype {value.dtype}")
        self.tensors.append(value)
        node = {"t": "tensor", "dtype": name, "shape": list(value.shape),
                "device": str(value.device), "grad": bool(value.requires_grad)}  # fmt: skip
        if value.device.type != "meta":
            flat = value.detach().cpu().contiguous().reshape(-1)
            node["b"] = self.buffer(
                flat.view(torch.uint8).numpy().tobytes() if flat.numel() else b""
            )
        return node


class Decoder:
    """Turns a JSON tree and its buffers back into values; ``extra(node, decoder)`` builds the
    tagged nodes the basic types do not cover (or raises ``CodecError``)."""

    def __init__(self, buffers: list[memoryview], extra=None) -> None:
        self.buffers = buffers
        self.extra = extra
        self.tensors: list = []  # every tensor received, in order

    def decode(self, node, depth: int = 0):
        if depth > MAX_DEPTH:
            raise CodecError(f"a value nested more than {MAX_DEPTH} levels deep")
        if node is None or isinstance(node, (bool, int, float, str)):
            return node
        if not isinstance(node, dict):
            raise CodecError(f"a malformed message ({type(node).__name__})")
        tag = node.get("t")
        if tag == "float":
            return float(node["v"])
        if tag in ("list", "tuple"):
            items = [self.decode(item, depth + 1) for item in node["v"]]
            return items if tag == "list" else tuple(items)
        if tag == "dict":
            return {self.decode(k, depth + 1): self.decode(v, depth + 1) for k, v in node["v"]}
        if tag == "tensor":
            return self.tensor(node)
        if tag == "ndarray":
            import numpy as np

            dtype = np.dtype(node["dtype"])
            if dtype.kind not in NUMPY_KINDS or dtype.hasobject:
                raise CodecError(f"an array of dtype {dtype}")
            shape = _shape(node["shape"])
            data = self.buffer(node["b"], math.prod(shape) * dtype.itemsize)
            return np.frombuffer(data, dtype=dtype).reshape(shape).copy()  # the one copy
        if tag == "bytes":
            return bytes(self.buffer(node["b"]))
        if tag == "range":
            return range(*(_int(v) for v in node["v"]))
        if tag == "device":
            return _device(node["v"])
        if tag == "dtype":
            return _dtype(node["v"])
        if self.extra is None:
            raise CodecError(f"an unknown kind of value {tag!r}")
        return self.extra(node, self, depth)

    def buffer(self, index, size: int | None = None) -> memoryview:
        if not isinstance(index, int) or not 0 <= index < len(self.buffers):
            raise CodecError("a malformed message (buffer index)")
        data = self.buffers[index]
        if size is not None and len(data) != size:
            raise CodecError(f"a malformed message ({len(data)} bytes where {size} belong)")
        return data

    def tensor(self, node: dict):
        import torch  # in a light box's worker, the first tensor the grader sends imports it

        dtype, shape, device = _dtype(node["dtype"]), _shape(node["shape"]), _device(node["device"])
        if device.type == "meta":
            tensor = torch.empty(shape, dtype=dtype, device="meta")
        else:
            size = math.prod(shape) * torch.empty((), dtype=dtype).element_size()
            data = self.buffer(node["b"], size)
            flat = torch.frombuffer(bytearray(data), dtype=torch.uint8) if size else None
            tensor = (flat.view(dtype) if size else torch.empty(0, dtype=dtype)).reshape(shape)
            tensor = tensor.to(device)
        if node.get("grad") is True and (dtype.is_floating_point or dtype.is_complex):
            tensor.requires_grad_(True)
        self.tensors.append(tensor)
        return tensor


def _number(value):
    if isinstance(value, float) and not math.isfinite(value):
        return {"t": "float", "v": repr(value)}  # "nan", "inf", "-inf": float() reads them back
    return value


def _int(value) -> int:
    if type(value) is not int:
        raise CodecError("a malformed message (not an int)")
    return value


def _shape(shape) -> tuple[int, ...]:
    if not isinstance(shape, list) or len(shape) > 32 or any(_int(s) < 0 for s in shape):
        raise CodecError("a malformed message (shape)")
    return tuple(shape)


def _dtype(name):
    if name not in DTYPE_NAMES:
        raise CodecError(f"a tensor of dtype {name!r}")
    return torch_dtypes()[name]


def _device(name):
    import torch

    device = torch.device(str(name))
    if device.type not in DEVICE_TYPES:
        raise CodecError(f"a tensor on device {name!r}")
    return device


def _describe(value) -> str:
    kind = type(value)
    return f"{kind.__module__}.{kind.__qualname__}"


def pack(tree, buffers: list[bytes]) -> list[bytes]:
    """A message as the chunks ``send`` writes: the JSON header and each buffer."""
    header = json.dumps({"v": tree, "sizes": [len(b) for b in buffers]}).encode()
    return [struct.pack("!I", len(header)), header, *buffers]


def unpack(data: memoryview) -> tuple[object, list[memoryview]]:
    """The JSON tree and the buffers of one message (checked against its length)."""
    (size,) = struct.unpack_from("!I", data)
    if size > MAX_HEADER:
        raise CodecError(f"a message whose data part is {size} bytes (the limit is {MAX_HEADER})")
    header = json.loads(bytes(data[4 : 4 + size]))
    if not isinstance(header, dict) or not isinstance(header.get("sizes"), list):
        raise CodecError("a malformed message (header)")
    buffers, offset = [], 4 + size
    for length in header["sizes"]:
        if _int(length) < 0 or offset + length > len(data):
            raise CodecError("a malformed message (buffer sizes)")
        buffers.append(data[offset : offset + length])
        offset += length
    return header["v"], buffers


def send(sock: socket.socket, chunks: list[bytes]) -> None:
    """Write one message: its length, then its chunks."""
    sock.sendall(_LENGTH.pack(sum(len(c) for c in chunks)))
    for chunk in chunks:
        sock.sendall(chunk)


def receive(sock: socket.socket, limit: int = MAX_MESSAGE) -> memoryview | None:
    """Read one message (read into one buffer, which the values decoded from it copy from at most
    once); None when the other side has closed the connection. A length over ``limit`` is refused
    before a byte of it is allocated."""
    head = _exactly(sock, _LENGTH.size)
    if head is None:
        return None
    (length,) = _LENGTH.unpack(head)
    if length > limit:
        raise CodecError(
            f"a reply of {length} bytes, over the limit of {limit} (ini sandbox_reply_mib)"
        )
    body = _exactly(sock, length)
    if body is None:
        return None
    return memoryview(body)


def _exactly(sock: socket.socket, size: int) -> bytearray | None:
    data = bytearray(size)
    view, got = memoryview(data), 0
    while got < size:
        n = sock.recv_into(view[got:])
        if n == 0:
            return None
        got += n
    return data
