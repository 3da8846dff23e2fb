"""Name tables of the static integrity rules: per-DSL kernels, glue, forbidden paths, native text.

Paths are dotted names after import aliases are resolved (`Fn.relu` with
`import torch.nn.functional as Fn` is `torch.nn.functional.relu`). Framework operators are
reported under canonical names (`canonical_op`): `torch.matmul`, `F.conv2d`, `nn.Conv2d`,
`Tensor.sum`, `operator @`. docs/INTEGRITY.md is the contract these tables implement.
"""
from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class DslSpec:
    family: str                    # "triton", "native" or "tilelang": how kernels are written
    loaders: tuple[str, ...] = ()  # native: the akg_harness.native loaders whose libraries count


DSLS: dict[str, DslSpec] = {
    "triton_cuda": DslSpec("triton"),
    "triton_ascend": DslSpec("triton"),
    "cpp": DslSpec("native", ("load_cpp",)),
    "cuda": DslSpec("native", ("load_cuda",)),
    "tilelang_cuda": DslSpec("tilelang"),
}
NATIVE_MODULE = "akg_harness.native"
SANCTIONED_LOADERS = ("load_cpp", "load_cuda")
NATIVE_PUBLIC = frozenset(SANCTIONED_LOADERS + ("CompileError",))  # what candidates may use
LOADER_BEGIN = "# ---- akg_harness.native, inlined so that this file is self-contained ----"
LOADER_END = "# ---- end of akg_harness.native ----"
# Earlier releases of akg_harness/native.py that final kernel files may still inline, by the
# SHA-256 of their non-blank lines (right-stripped, `from __future__` lines dropped). The
# current native.py is always accepted; add a hash here when native.py changes.
KNOWN_LOADER_SHA256 = frozenset({
    "6a5c9f81fa4835dec1827aa357cafe1171c2c211dec05d4dec71b3e07da6b200",  # load_cpp only
})

# Decorators (resolved paths) that make a function a kernel of a family.
TRITON_JIT = frozenset({"triton.jit", "triton.language.jit", "triton.runtime.jit.jit"})
TILELANG_JIT = frozenset({"tilelang.jit", "tilelang.lazy_jit"})
TILELANG_PRIM = frozenset({"tilelang.language.prim_func", "tilelang.prim_func",
                           "tvm.script.tir.prim_func", "tvm.tir.prim_func", "T.prim_func"})
TILELANG_COMPILE = frozenset({"tilelang.compile", "tilelang.jit.compile"})

# ---- glue: framework calls forward may make under the strict policy ------------------------
GLUE_CONTRACT = frozenset({
    "torch.empty", "torch.empty_like", "torch.empty_strided", "torch.zeros", "torch.zeros_like",
    "Tensor.view", "Tensor.reshape", "Tensor.contiguous", "Tensor.expand", "Tensor.expand_as",
    "Tensor.unsqueeze", "Tensor.squeeze", "Tensor.flatten", "Tensor.permute", "Tensor.transpose",
    "Tensor.t", "Tensor.size", "Tensor.stride", "Tensor.numel", "Tensor.dim", "Tensor.data_ptr",
    "Tensor.element_size", "Tensor.is_contiguous", "Tensor.to", "torch.broadcast_shapes",
    "torch.Size", "torch.device", "torch.cuda.current_stream",
})
# Metadata-only calls with no computation (the contract's refinement, see INTEGRITY.md).
GLUE_METADATA = frozenset({
    "torch.promote_types", "torch.result_type", "torch.can_cast", "torch.is_tensor",
    "torch.is_floating_point", "torch.is_complex", "torch.finfo", "torch.iinfo",
    "torch.get_default_dtype", "torch.no_grad", "torch.inference_mode", "torch.dtype",
    "torch.cuda.is_available", "torch.cuda.current_device", "torch.cuda.device_count",
    "torch.cuda.get_device_properties", "torch.cuda.get_device_capability",
    "torch.cuda.get_device_name", "torch.cuda.device", "torch.cuda.synchronize",
    "torch.cuda.default_stream", "torch.nn.Parameter", "torch.nn.parameter.Parameter",
    "Tensor.view_as", "Tensor.reshape_as", "Tensor.nelement", "Tensor.ndimension",
    "Tensor.storage_offset", "Tensor.is_floating_point", "Tensor.is_complex", "Tensor.get_device",
    "Tensor.detach", "Tensor.cuda", "Tensor.cpu", "Tensor.npu", "Tensor.new_empty",
    "Tensor.new_zeros",
    "Tensor.unflatten", "Tensor.movedim", "Tensor.moveaxis", "Tensor.swapaxes",
    "Tensor.swapdims", "Tensor.narrow", "Tensor.select", "Tensor.unbind", "Tensor.split",
    "Tensor.chunk", "Tensor.as_strided", "Tensor.__len__", "Tensor.zero_",
})
GLUE = GLUE_CONTRACT | GLUE_METADATA

# What glue returns (anything else: a tensor). Kinds: "I" plain value, "S" shape, "DT" dtype,
# "DEV" device, "U" opaque, "NONE", "TS" list of tensors.
GLUE_RESULT = {
    "torch.broadcast_shapes": "S", "torch.Size": "S", "torch.device": "DEV",
    "torch.promote_types": "DT", "torch.result_type": "DT", "torch.get_default_dtype": "DT",
    "torch.dtype": "DT", "torch.can_cast": "I", "torch.is_tensor": "I",
    "torch.is_floating_point": "I", "torch.is_complex": "I", "torch.cuda.is_available": "I",
    "torch.cuda.current_device": "I", "torch.cuda.device_count": "I", "torch.finfo": "U",
    "torch.iinfo": "U", "torch.no_grad": "U", "torch.inference_mode": "U",
    "torch.cuda.get_device_properties": "U", "torch.cuda.get_device_capability": "U",
    "torch.cuda.get_device_name": "I", "torch.cuda.device": "U", "torch.cuda.synchronize": "NONE",
    "torch.cuda.current_stream": "U", "torch.cuda.default_stream": "U",
    "Tensor.numel": "I", "Tensor.dim": "I", "Tensor.data_ptr": "I", "Tensor.element_size": "I",
    "Tensor.is_contiguous": "I", "Tensor.nelement": "I", "Tensor.ndimension": "I",
    "Tensor.storage_offset": "I", "Tensor.is_floating_point": "I", "Tensor.is_complex": "I",
    "Tensor.get_device": "I", "Tensor.__len__": "I", "Tensor.unbind": "TS",
    "Tensor.split": "TS", "Tensor.chunk": "TS",
}
# Tensor attributes that are not methods: their kind (T: a view of the same data).
TENSOR_ATTRS = {
    "shape": "S", "dtype": "DT", "device": "DEV", "ndim": "I", "is_cuda": "I", "is_cpu": "I",
    "requires_grad": "I", "is_leaf": "I", "itemsize": "I", "nbytes": "I", "layout": "U",
    "is_sparse": "I", "is_quantized": "I", "is_meta": "I", "names": "U",
    "T": "T", "mT": "T", "H": "T", "mH": "T", "data": "T", "real": "T", "imag": "T", "grad": "T",
}
# Tensor methods recognisable on a value of unknown type (names Python's own types lack).
DISTINCT_TENSOR_METHODS = frozenset("""
abs absolute acos acosh add_ addbmm addcdiv addcmul addmm addmv all amax amin aminmax angle any
apply_ argmax argmin argsort asin atan atan2 baddbmm bernoulli_ bfloat16 bmm bool byte ceil
cholesky clamp clamp_ clip clone copy_ cos cosh cummax cummin cumprod cumsum deg2rad diag
diagonal diff digamma div div_ divide dot double eq erf erfc erfinv exp exp_ expm1 exponential_
fill_ fix flip fliplr float floor floor_divide fmax fmin fmod frac gather gcd ge gelu ger greater
gt half hardshrink heaviside histc hypot i0 index_add index_add_ index_copy index_fill
index_put index_put_ index_select inner int inverse isclose isfinite isinf isnan item kron
kthvalue lcm ldexp le lerp lgamma log log10 log1p log2 log_softmax logaddexp logcumsumexp
logical_and logical_not logical_or logical_xor logit logsumexp long lt masked_fill masked_fill_
masked_scatter masked_select matmul matrix_exp matrix_power max maximum mean median min minimum
mm mode msort mul mul_ multinomial multiply mv mvlgamma nan_to_num nanmean nanmedian nansum
neg negative ne nonzero norm normal_ numpy outer pow prod rad2deg random_ ravel reciprocal relu
relu_ remainder renorm repeat repeat_interleave resize_ roll rot90 round rsqrt scatter scatter_
scatter_add scatter_add_ scatter_reduce sgn short sigmoid sigmoid_ sign signbit sin sinc sinh
slogdet softmax sqrt square square_ squeeze_ std sub sub_ subtract sum sum_to_size svd take
take_along_dim tan tanh tanh_ tensor_split tile tolist topk trace tril triu true_divide trunc
type_as uniform_ unique unique_consecutive unsqueeze_ var vdot where xlogy zero_
""".split())
# Python container methods that mutate their receiver.
MUTATORS = frozenset({"append", "extend", "insert", "update", "setdefault", "add", "pop",
                      "popitem", "clear", "remove", "discard", "__setitem__", "__delitem__"})
NN_CONTAINERS = frozenset({"torch.nn.Sequential", "torch.nn.ModuleList", "torch.nn.ModuleDict"})
NN_REGISTER = frozenset({"register_buffer", "register_parameter", "add_module",
                         "register_module", "__setattr__", "__delattr__"})
CACHE_DECORATORS = frozenset({"functools.lru_cache", "functools.cache",
                              "functools.cached_property"})
COMPILE_DECORATORS = frozenset({"torch.compile", "torch.jit.script", "torch.jit.trace",
                                "torch._dynamo.optimize"})
TORCH_DTYPES = frozenset("""
float float16 float32 float64 bfloat16 half double complex32 complex64 complex128 cfloat cdouble
uint8 uint16 uint32 uint64 int8 int16 int32 int64 int short long bool float8_e4m3fn float8_e5m2
float8_e4m3fnuz float8_e5m2fnuz qint8 quint8 qint32 strided contiguous_format channels_last
preserve_format channels_last_3d
""".split())
TORCH_SUBMODULES = frozenset({
    "torch.nn", "torch.nn.functional", "torch.cuda", "torch.linalg", "torch.fft", "torch.special",
    "torch.backends", "torch.ops", "torch.ops.aten", "torch.sparse", "torch.autograd",
    "torch.utils", "torch.testing", "torch.jit", "torch.library", "torch.npu", "torch.amp",
    "torch.nn.init", "torch.nn.utils", "torch.fx", "torch.export", "torch._C", "torch.distributed",
    "torch.nested", "torch.masked", "torch.signal", "torch.random", "torch.func", "torch.Tensor",
})
OPERATOR_SYMBOLS = {
    "add": "+", "iadd": "+=", "sub": "-", "isub": "-=", "mul": "*", "imul": "*=",
    "truediv": "/", "itruediv": "/=", "floordiv": "//", "ifloordiv": "//=", "mod": "%",
    "imod": "%=", "pow": "**", "ipow": "**=", "matmul": "@", "imatmul": "@=", "neg": "-",
    "pos": "+", "abs": "abs", "and_": "&", "or_": "|", "xor": "^", "invert": "~", "lshift": "<<",
    "rshift": ">>", "lt": "<", "le": "<=", "eq": "==", "ne": "!=", "ge": ">=", "gt": ">",
    "concat": "+",
}
AST_OPERATORS = {
    "Add": "+", "Sub": "-", "Mult": "*", "Div": "/", "FloorDiv": "//", "Mod": "%", "Pow": "**",
    "MatMult": "@", "BitAnd": "&", "BitOr": "|", "BitXor": "^", "LShift": "<<", "RShift": ">>",
    "USub": "-", "UAdd": "+", "Invert": "~", "Not": "not", "Lt": "<", "LtE": "<=", "Gt": ">",
    "GtE": ">=", "Eq": "==", "NotEq": "!=",
}
# Dunder methods that are operators, e.g. x.__matmul__(w) is "operator @".
DUNDER_OPERATORS = {f"__{name.rstrip('_')}__": sym for name, sym in OPERATOR_SYMBOLS.items()
                    if name not in ("concat",)}
DUNDER_OPERATORS.update({f"__r{name}__": sym for name, sym in (
    ("add", "+"), ("sub", "-"), ("mul", "*"), ("truediv", "/"), ("floordiv", "//"), ("mod", "%"),
    ("pow", "**"), ("matmul", "@"), ("and", "&"), ("or", "|"), ("xor", "^"))})
# Modules whose calls compute on tensors passed to them (recorded when a tensor is an argument).
ARRAY_MODULES = ("numpy", "cupy", "math", "cmath", "copy", "jax", "scipy", "einops")
# ---- paths that break a rule wherever they appear ------------------------------------------
CONCURRENCY_MODULES = ("threading", "_thread", "multiprocessing", "concurrent", "asyncio",
                       "subprocess", "signal", "sched", "torch.multiprocessing", "pty")
CONCURRENCY_OS = re.compile(r"^os\.(fork\w*|spawn\w*|posix_spawn\w*|system|popen|exec\w*|"
                            r"register_at_fork|kill\w*)$")
STREAM_PATHS = ("torch.cuda.Stream", "torch.cuda.stream", "torch.cuda.streams",
                "torch.cuda.ExternalStream", "torch.cuda.set_stream", "torch.cuda.StreamContext",
                "torch.Stream", "torch.StreamContext", "torch.npu.Stream", "torch.npu.stream",
                "torch.npu.set_stream", "cupy.cuda.Stream", "cupy.cuda.stream",
                "cupy.cuda.ExternalStream", "torch.cuda.graphs.graph_pool_handle")
IO_MODULES = ("os", "socket", "urllib", "http", "requests", "httpx", "aiohttp", "ftplib",
              "smtplib", "pathlib", "pickle", "cPickle", "dill", "marshal", "shelve", "importlib",
              "shutil", "tempfile", "glob", "gc", "inspect", "fileinput", "io", "codecs",
              "webbrowser", "sqlite3", "zipfile", "tarfile", "mmap", "runpy", "pkgutil", "site")
# Modules that are not frameworks: calls into them never count as framework operators.
PLAIN_MODULES = frozenset({
    "triton", "tilelang", "tvm", "ctypes", "functools", "itertools", "typing", "dataclasses",
    "collections", "numbers", "enum", "abc", "warnings", "logging", "time", "random", "builtins",
    "akg_harness", "contextlib", "struct", "string", "re", "os", "sys", "hashlib", "tempfile",
    "subprocess", "__future__", "types", "weakref", "textwrap", "typing_extensions",
    *(m for m in CONCURRENCY_MODULES + IO_MODULES if "." not in m),  # judged by other rules
})

IO_PATHS = ("torch.load", "torch.save", "torch.hub", "torch.from_file", "numpy.load",
            "numpy.save", "numpy.savez", "numpy.savez_compressed", "numpy.fromfile",
            "numpy.loadtxt", "numpy.savetxt", "numpy.genfromtxt", "numpy.memmap", "sys.modules",
            "sys._getframe", "sys.settrace", "sys.setprofile", "sys.path", "sys.meta_path",
            "sys.path_hooks", "sys.excepthook", "sys.setrecursionlimit", "sys.exit",
            "sys.stdin", "sys.argv", "sys.addaudithook", "builtins.open", "builtins.eval",
            "builtins.exec", "builtins.compile", "builtins.__import__")
IO_BUILTINS = frozenset({"open", "eval", "exec", "compile", "__import__", "input", "breakpoint",
                         "globals", "vars"})
INTROSPECTION_ATTRS = frozenset({"__globals__", "__code__", "__closure__", "__builtins__",
                                 "f_back", "f_globals", "f_locals", "f_builtins", "tb_frame",
                                 "gi_frame", "cr_frame", "ag_frame", "__subclasses__",
                                 "__reduce__", "__reduce_ex__"})
NATIVE_PATHS = ("ctypes.CDLL", "ctypes.cdll", "ctypes.PyDLL", "ctypes.pydll", "ctypes.WinDLL",
                "ctypes.windll", "ctypes.OleDLL", "ctypes.oledll", "ctypes.LibraryLoader",
                "ctypes.pythonapi", "ctypes.memmove", "ctypes.memset", "ctypes.string_at",
                "ctypes.wstring_at", "ctypes.util", "_ctypes", "torch.utils.cpp_extension",
                "torch.cuda.jiterator", "torch.ops.load_library", "torch.classes.load_library",
                "cffi", "cupy.RawKernel", "cupy.RawModule", "cupy.ElementwiseKernel",
                "cupy.ReductionKernel", "cupy.fuse", "cupy.cuda.compile_with_cache",
                "cupy.cuda.function", "cupyx.jit", "numba", "pycuda", "cuda", "nvrtc",
                "numpy.ctypeslib", "llvmlite", "cuda.bindings", "cuda.core")
PATCH_CALLS = ("torch.set_default_dtype", "torch.set_default_device",
               "torch.set_default_tensor_type", "torch.set_float32_matmul_precision",
               "torch.set_num_threads", "torch.set_num_interop_threads",
               "torch.set_flush_denormal", "torch.use_deterministic_algorithms",
               "torch.set_deterministic_debug_mode", "torch.library", "torch._C._set",
               "torch.backends.cudnn.flags", "torch.backends.cuda.sdp_kernel",
               "torch.overrides", "torch.cuda.set_sync_debug_mode", "torch.utils.swap_tensors")
HARNESS_INTERNALS = frozenset({"_AKG_NATIVE_HOOK", "_TRITON_CALLS", "_akg_counted"})
# Names that make or drive tensor subclasses (deferred work, REFERENCE cheat 11).
SUBCLASS_NAMES = frozenset({"__torch_function__", "__torch_dispatch__", "as_subclass",
                            "_make_subclass", "_make_wrapper_subclass"})
# Violations in the order a verdict names them: the mechanism of a cheat before its symptoms
# (work on a thread usually also leaves no reachable launch).
REASON_ORDER = ("l2_persistence", "unsanctioned_native", "extra_stream", "concurrency",
                "monkey_patch", "forbidden_io", "try_except", "stateful_forward",
                "forbidden_framework_op", "kernel_not_launched", "no_kernel")
SYS_READS = frozenset({"sys.version", "sys.version_info", "sys.platform", "sys.maxsize",
                       "sys.byteorder", "sys.float_info", "sys.int_info", "sys.hexversion",
                       "sys.implementation", "sys.stdout", "sys.stderr", "sys.float_repr_style"})
# Allowed inside the inlined loader (what akg_harness.native itself needs).
LOADER_ALLOWED = re.compile(
    r"^(subprocess(\.(run|TimeoutExpired|CalledProcessError|CompletedProcess|PIPE|DEVNULL))?|"
    r"os(\.(environ(\.get)?|getenv|path(\.\w+)?|makedirs|replace|rename|getpid|remove|unlink|"
    r"fspath|sep|stat|cpu_count))?|tempfile(\.\w+)?|shutil(\.(which|rmtree|move))?|"
    r"ctypes\.CDLL|open|builtins\.open)$")

# ---- native source text ----------------------------------------------------------------------
NATIVE_TEXT_RULES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("l2_persistence", re.compile(
        r"\b(cudaAccessPolicyWindow|accessPolicyWindow|cudaLimitPersistingL2CacheSize|"
        r"cudaStreamAttributeAccessPolicyWindow|cudaAccessPropertyPersisting|"
        r"CU_LIMIT_PERSISTING_L2_CACHE_SIZE|CU_LAUNCH_ATTRIBUTE_ACCESS_POLICY_WINDOW|"
        r"cudaLaunchAttributeAccessPolicyWindow|persistingL2CacheMaxSize)\b")),
    ("extra_stream", re.compile(
        r"\b(cudaStreamCreate\w*|cuStreamCreate\w*|cudaStreamNonBlocking|cudaStreamPerThread|"
        r"getStreamFromPool|getStreamFromExternal|cudaStreamBeginCapture|hipStreamCreate\w*|"
        r"aclrtCreateStream\w*)\b|--default-stream")),
    ("concurrency", re.compile(
        r"\bstd::(thread|jthread|async)\b|\bpthread_create\b|\bfork\s*\(\s*\)|\bpopen\s*\(|"
        r"\b(std::)?system\s*\(|\.detach\s*\(\s*\)")),
    ("unsanctioned_native", re.compile(r"\b(dlopen|dlsym|LoadLibrary\w*)\s*\(")),
    # Files, the environment and system calls from native code (the Python-level forbidden_io
    # for C/C++/CUDA): the harness's request, reference cache and kernel cache are within reach.
    ("forbidden_io", re.compile(
        r"\b(fopen|freopen|fdopen|open|openat|creat|opendir|readdir|unlink|unlinkat|rename|"
        r"renameat|truncate|ftruncate|mmap|syscall|getenv|secure_getenv|setenv|putenv|chdir|"
        r"socket|connect)\s*\(|\bstd::(i|o)?fstream\b|\bstd::filesystem\b|\benviron\b|"
        r"\"/proc/")),
)
# Vendor libraries doing the computation (REFERENCE cheat 1: cuBLAS): framework operators.
NATIVE_LIBRARY_CALL = re.compile(
    r"\b(cublas\w*|cublasLt\w*|cudnn\w*|cufft\w*|cusparse\w*|cusolver\w*|cutlass::\w+|"
    r"cblas_\w+|mkl_\w+|dnnl_\w+|dnnl::\w+|[sdhcz]gemm_(?=\s*\()|at::\w+|torch::\w+|aclnn\w+|"
    r"thrust::(reduce|transform|sort|inclusive_scan|exclusive_scan|transform_reduce)\b)|"
    r"-l(cublas\w*|cudnn\w*|cufft\w*|mkl\w*|openblas|blas|dnnl|torch\w*|c10\w*)\b|"
    r"#\s*include\s*[<\"](torch/|ATen/|cublas|cudnn)")


def canonical_op(path: str) -> str:
    """The name a framework operator is reported under."""
    for prefix, short in (("torch.nn.functional.", "F."), ("torch.Tensor.", "Tensor."),
                          ("torch.nn.modules.", "nn."), ("torch.nn.", "nn.")):
        if path.startswith(prefix):
            rest = path[len(prefix):]
            if short == "nn." and prefix == "torch.nn.modules.":
                rest = rest.rsplit(".", 1)[-1]
            return short + rest
    if path.startswith("operator.") and path[9:] in OPERATOR_SYMBOLS:
        return "operator " + OPERATOR_SYMBOLS[path[9:]]
    return path


def is_glue(op: str, extra: frozenset[str]) -> bool:
    if op in GLUE or op in extra:
        return True
    head, _, name = op.partition(".")
    return head in ("torch", "Tensor") and name in extra


def under(path: str, prefixes: tuple[str, ...] | frozenset[str]) -> bool:
    """True when path is one of prefixes or inside one of them (dotted)."""
    return any(path == p or path.startswith(p + ".") for p in prefixes)
