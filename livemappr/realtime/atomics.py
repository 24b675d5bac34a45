"""Memory ordering, raw pointers and a clock for compiled code.

Runs on: any thread (compiled into the callers).

The audio thread shares counters with Python threads through plain int64
arrays. On x86 ordinary loads and stores are already ordered strongly enough,
but on ARM (Raspberry Pi) a store to a "written" counter can become visible
before the data it publishes. ``store_release`` and ``load_acquire`` emit
LLVM atomic operations with release/acquire ordering (``stlr``/``ldar`` on
aarch64, plain moves on x86), so a consumer that sees a counter also sees
everything written before it was published.

``monotonic_ns`` calls ``clock_gettime(CLOCK_MONOTONIC)`` straight from
compiled code: no Python, no GIL, no allocation, the same clock as
``time.monotonic_ns``.
"""

from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

_CLOCK_MONOTONIC = 1  # Linux value; the engine targets Linux (Debian, Pi OS)


@intrinsic
def fence(typingctx):
    """Full memory barrier (sequentially consistent)."""

    def codegen(context, builder, sig, args):
        builder.fence("seq_cst")
        return context.get_dummy_value()

    return types.none(), codegen


def _element_pointer(context, builder, aryty, ary, idx, idxty):
    array = context.make_array(aryty)(context, builder, ary)
    idx = context.cast(builder, idx, idxty, types.intp)
    return cgutils.get_item_pointer(context, builder, aryty, array, [idx], wraparound=False)


@intrinsic
def load_acquire(typingctx, arr, idx):
    """``arr[idx]`` as an atomic load with acquire ordering (int64 arrays)."""
    if not (isinstance(arr, types.Array) and arr.dtype == types.int64 and arr.ndim == 1):
        return None
    sig = types.int64(arr, idx)

    def codegen(context, builder, sig, args):
        ptr = _element_pointer(context, builder, sig.args[0], args[0], args[1], sig.args[1])
        return builder.load_atomic(ptr, "acquire", 8)

    return sig, codegen


@intrinsic
def store_release(typingctx, arr, idx, value):
    """``arr[idx] = value`` as an atomic store with release ordering (int64 arrays)."""
    if not (isinstance(arr, types.Array) and arr.dtype == types.int64 and arr.ndim == 1):
        return None
    sig = types.none(arr, idx, value)

    def codegen(context, builder, sig, args):
        ptr = _element_pointer(context, builder, sig.args[0], args[0], args[1], sig.args[1])
        val = context.cast(builder, args[2], sig.args[2], types.int64)
        builder.store_atomic(val, ptr, "release", 8)
        return context.get_dummy_value()

    return sig, codegen


@intrinsic
def address_to_voidptr(typingctx, addr):
    """An integer address (from ``ndarray.ctypes.data``) as a ``void*``."""
    sig = types.voidptr(types.int64)

    def codegen(context, builder, sig, args):
        return builder.inttoptr(args[0], cgutils.voidptr_t)

    return sig, codegen


@intrinsic
def voidptr_to_address(typingctx, ptr):
    """A ``void*`` as an integer (0 for NULL)."""
    sig = types.int64(types.voidptr)

    def codegen(context, builder, sig, args):
        return builder.ptrtoint(args[0], ir.IntType(64))

    return sig, codegen


@intrinsic
def monotonic_ns(typingctx):
    """Nanoseconds of ``CLOCK_MONOTONIC`` (same clock as ``time.monotonic_ns``)."""
    sig = types.int64()

    def codegen(context, builder, sig, args):
        i32, i64 = ir.IntType(32), ir.IntType(64)
        timespec = ir.LiteralStructType([i64, i64])  # time_t, long on 64-bit Linux
        fnty = ir.FunctionType(i32, [i32, timespec.as_pointer()])
        fn = cgutils.get_or_insert_function(builder.module, fnty, "clock_gettime")
        ts = cgutils.alloca_once(builder, timespec)
        builder.call(fn, [ir.Constant(i32, _CLOCK_MONOTONIC), ts])
        sec = builder.load(cgutils.gep_inbounds(builder, ts, 0, 0))
        nsec = builder.load(cgutils.gep_inbounds(builder, ts, 0, 1))
        return builder.add(builder.mul(sec, ir.Constant(i64, 1_000_000_000)), nsec)

    return sig, codegen


__all__ = [
    "fence",
    "load_acquire",
    "store_release",
    "address_to_voidptr",
    "voidptr_to_address",
    "monotonic_ns",
]
