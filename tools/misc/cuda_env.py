"""What tools/misc/install.sh needs to know to give mmcv ops that run where they will be used.

    python tools/misc/cuda_env.py target            # 'cpu' or 'cuda': what mmcv's ops are built for
    python tools/misc/cuda_env.py arch-list         # TORCH_CUDA_ARCH_LIST to build with
    python tools/misc/cuda_env.py key               # e.g. torch-2.14.1-cu130-cp311-x86_64-sm90
    python tools/misc/cuda_env.py toolkit CACHE     # CUDA_HOME whose nvcc matches torch's CUDA
    python tools/misc/cuda_env.py kernels FILE      # CUDA archs in a wheel's (or .so's) mmcv._ext
    python tools/misc/cuda_env.py wheel-fits WHEEL  # exit 1 (with the reason) if it lacks needed kernels
    python tools/misc/cuda_env.py check-ops         # RoIAlign and nms run on the target device

Environment: MMEXT_DEVICE=auto|cpu|cuda (auto: cuda when torch sees a GPU), FORCE_CUDA=1
(build for CUDA without a GPU; needs TORCH_CUDA_ARCH_LIST), TORCH_CUDA_ARCH_LIST (default:
the present GPUs' compute capabilities), CUDA_HOME, MMEXT_CUDA_TOOLKIT=auto|system|pip.
A problem that needs the user ends with one line ``error: ...`` (exit 2) saying what to do.
Only the standard library and torch are used: this runs before mmext is installed.
"""
import glob
import os
import platform
import re
import shutil
import struct
import subprocess
import sys
import zipfile

FATBIN_MAGIC = 0xBA55ED50
FATBIN_KIND_PTX, FATBIN_KIND_CUBIN = 1, 2
# CUDA library headers torch's ATen/cuda headers include (beside the runtime's cuda_runtime.h)
TORCH_CUDA_HEADERS = ('cuda_runtime.h', 'cusparse.h', 'cublas_v2.h', 'cusolverDn.h')
# mmcv's C++ entry points of the CUDA kernels install.sh's check runs (present only in a CUDA build)
CUDA_LAUNCHERS = (b'ROIAlignForwardCUDAKernelLauncher', b'NMSCUDAKernelLauncher')


class SetupError(Exception):
    """A problem the user must act on; its message says what to do."""


# --- device, arch list and cache key ---------------------------------------------------------

def parse_arch(name):
    """'sm_90' / 'sm_90a' / 'compute_86' / '9.0' / '9.0+PTX' -> (major, minor)."""
    digits = re.sub(r'\D', '', name.split('_')[-1] if '_' in name else name)
    if not digits or len(digits) < 2:
        raise ValueError(f'not a CUDA arch: {name!r}')
    return int(digits[:-1]), int(digits[-1])


def covers(archs, capability):
    """Whether code for `archs` ('sm_XY' cubins, 'compute_XY' PTX) runs on a GPU of compute
    capability (major, minor): a cubin of the same major and a minor not above it, or PTX of a
    capability not above it (the driver compiles it)."""
    major, minor = capability
    for arch in archs:
        a_major, a_minor = parse_arch(arch)
        if arch.startswith('compute_') and (a_major, a_minor) <= (major, minor):
            return True
        if not arch.startswith('compute_') and a_major == major and a_minor <= minor:
            return True
    return False


def arch_list_archs(arch_list):
    """TORCH_CUDA_ARCH_LIST ('8.6;9.0+PTX', '8.6 9.0') -> ['sm_86', 'sm_90', 'compute_90']."""
    archs = []
    for item in re.split(r'[;\s,]+', arch_list.strip()):
        if not item:
            continue
        major, minor = parse_arch(item.replace('+PTX', ''))
        archs.append(f'sm_{major}{minor}')
        if item.endswith('+PTX'):
            archs.append(f'compute_{major}{minor}')
    return archs


def gpu_capabilities(torch):
    """Compute capabilities of the GPUs torch can use ([] without a CUDA build or a GPU)."""
    if torch.version.cuda is None or not torch.cuda.is_available():
        return []
    return sorted({torch.cuda.get_device_capability(i) for i in range(torch.cuda.device_count())})


def target(env, torch):
    """'cuda' when mmcv's ops must run on (or are forced to be built for) a GPU, else 'cpu'."""
    choice = env.get('MMEXT_DEVICE', 'auto')
    if choice not in ('auto', 'cpu', 'cuda'):
        raise SetupError(f'MMEXT_DEVICE={choice}: use auto, cpu or cuda')
    if choice == 'cpu':
        return 'cpu'
    caps = gpu_capabilities(torch)
    forced = env.get('FORCE_CUDA', '0') == '1'
    if (caps or forced) and torch.version.cuda is None:
        raise SetupError(f'torch {torch.__version__} is a CPU-only build: install a CUDA build of '
                         'torch for GPU ops, or set MMEXT_DEVICE=cpu')
    if caps:
        unsupported = [c for c in caps if not covers(torch.cuda.get_arch_list(), c)]
        if unsupported:
            major, minor = unsupported[0]
            raise SetupError(
                f'the GPU has compute capability {major}.{minor}, which torch {torch.__version__} '
                f'does not support (it has {" ".join(torch.cuda.get_arch_list())}): install a '
                'torch build for this GPU, or set MMEXT_DEVICE=cpu to use the CPU')
        return 'cuda'
    if forced:
        return 'cuda'
    if choice == 'cuda':
        raise SetupError('MMEXT_DEVICE=cuda but torch sees no GPU: run on a GPU machine, set '
                         'FORCE_CUDA=1 TORCH_CUDA_ARCH_LIST=<cc> to build GPU ops here, or '
                         'MMEXT_DEVICE=cpu')
    return 'cpu'


def arch_list(env, torch):
    """TORCH_CUDA_ARCH_LIST if set, else the present GPUs' capabilities ('8.6;9.0')."""
    if env.get('TORCH_CUDA_ARCH_LIST', '').strip():
        arch_list_archs(env['TORCH_CUDA_ARCH_LIST'])  # validates
        return env['TORCH_CUDA_ARCH_LIST'].strip()
    caps = gpu_capabilities(torch)
    if not caps:
        raise SetupError('no GPU to read the compute capability from: set TORCH_CUDA_ARCH_LIST '
                         '(e.g. TORCH_CUDA_ARCH_LIST=9.0 for an H100) with FORCE_CUDA=1')
    return ';'.join(f'{major}.{minor}' for major, minor in caps)


def cache_key(env, torch):
    """What a wheel contains: torch version, CUDA version or cpu, Python, machine, arch list."""
    torch_version = torch.__version__.split('+')[0]
    py_tag = f'cp{sys.version_info[0]}{sys.version_info[1]}'
    key = f'torch-{torch_version}'
    if target(env, torch) == 'cpu':
        return f'{key}-cpu-{py_tag}-{platform.machine()}'
    cuda = 'cu' + torch.version.cuda.replace('.', '')
    archs = '_'.join(a.replace('sm_', 'sm').replace('compute_', 'ptx')
                     for a in arch_list_archs(arch_list(env, torch)))
    return f'{key}-{cuda}-{py_tag}-{platform.machine()}-{archs}'


# --- CUDA toolkit matching torch's ------------------------------------------------------------

def nvcc_release(cuda_home):
    """'13.0' for the nvcc in cuda_home/bin, None if there is none that runs."""
    nvcc = os.path.join(cuda_home, 'bin', 'nvcc')
    if not os.access(nvcc, os.X_OK):
        return None
    try:
        out = subprocess.run([nvcc, '--version'], capture_output=True, text=True,
                             timeout=60).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    match = re.search(r'release (\d+)\.(\d+)', out)
    return f'{match[1]}.{match[2]}' if match else None


def missing_headers(cuda_home):
    return [h for h in TORCH_CUDA_HEADERS
            if not os.path.isfile(os.path.join(cuda_home, 'include', h))]


def toolkit_fits(cuda_home, want):
    """nvcc of CUDA `want` and every header torch's CUDA headers include."""
    return nvcc_release(cuda_home) == want and not missing_headers(cuda_home)


def installed_nvidia_parts():
    """Folders of the NVIDIA wheels installed beside torch (nvidia/cu13/, nvidia/cusparse/...):
    torch's CUDA libraries, whose headers a CUDA extension build includes."""
    import importlib.util
    spec = importlib.util.find_spec('nvidia')
    roots = list(spec.submodule_search_locations) if spec else []
    return [part for root in roots for part in sorted(glob.glob(os.path.join(root, '*', '')))]


def system_toolkits(env, want):
    """Places a system CUDA toolkit may be, most specific first."""
    homes = [f'/usr/local/cuda-{want}', '/usr/local/cuda']
    nvcc = shutil.which('nvcc', path=env.get('PATH'))
    if nvcc:
        homes.insert(0, os.path.dirname(os.path.dirname(os.path.realpath(nvcc))))
    return list(dict.fromkeys(homes))


def registry_packages(want):
    """NVIDIA's PyPI wheels that make a CUDA toolkit of version `want` (nvcc, headers, cudart)."""
    major = int(want.split('.')[0])
    pin = f'=={want}.*'
    if major >= 13:  # split into more wheels; nvcc's own requirements are unpinned
        names = ['nvidia-cuda-nvcc', 'nvidia-cuda-crt', 'nvidia-nvvm', 'nvidia-cuda-runtime',
                 'nvidia-cuda-cccl']
    else:
        names = [f'nvidia-cuda-{part}-cu{major}' for part in ('nvcc', 'runtime', 'cccl')]
    return [name + pin for name in names]


def assemble_home(prefix, header_parts=()):
    """Merge the wheels' nvidia/<part>/{bin,include,lib,nvvm} into one CUDA_HOME of symlinks
    (lib also as lib64, plus the libcudart.so link the extension build links against), and
    the include folders of `header_parts` (torch's own CUDA library wheels: cuBLAS, ...)."""
    home = os.path.join(prefix, 'cuda_home')
    shutil.rmtree(home, ignore_errors=True)
    toolkit_parts = sorted(glob.glob(os.path.join(prefix, 'nvidia', '*', '')))
    subs = (('bin', 'bin'), ('include', 'include'), ('lib', 'lib64'), ('nvvm', 'nvvm'))
    for part, pairs in [(p, subs) for p in toolkit_parts] + [
            (p, subs[1:2]) for p in header_parts]:
        for sub, dest in pairs:
            src = os.path.join(part, sub)
            if not os.path.isdir(src):
                continue
            os.makedirs(os.path.join(home, dest), exist_ok=True)
            for entry in os.listdir(src):
                link = os.path.join(home, dest, entry)
                if not os.path.lexists(link):
                    os.symlink(os.path.join(src, entry), link)
    lib = os.path.join(home, 'lib64')
    versioned = sorted(glob.glob(os.path.join(lib, 'libcudart.so.*')))
    if versioned and not os.path.lexists(os.path.join(lib, 'libcudart.so')):
        os.symlink(os.path.realpath(versioned[0]), os.path.join(lib, 'libcudart.so'))
    return home


def registry_toolkit(want, cache_root, log=print):
    """CUDA_HOME made of NVIDIA's PyPI wheels for CUDA `want`, fetched once into the cache."""
    prefix = os.path.join(cache_root, 'cuda', want)
    home = os.path.join(prefix, 'cuda_home')
    if toolkit_fits(home, want):
        return home
    packages = registry_packages(want)
    log(f'fetching nvcc and CUDA {want} headers from PyPI: {" ".join(packages)}')
    shutil.rmtree(prefix, ignore_errors=True)
    result = subprocess.run([sys.executable, '-m', 'pip', 'install', '-q', '--no-deps',
                             '--target', prefix] + packages, capture_output=True, text=True)
    if result.returncode != 0:
        raise SetupError(f'could not install {" ".join(packages)} from the package registry '
                         f'({result.stderr.strip().splitlines()[-1:]}): install a CUDA {want} '
                         'toolkit and set CUDA_HOME, or set MMEXT_DEVICE=cpu')
    home = assemble_home(prefix, installed_nvidia_parts())
    if not toolkit_fits(home, want):
        raise SetupError(f'the CUDA {want} wheels in {prefix} give no working nvcc {want} '
                         f'(or lack {" ".join(missing_headers(home))}): install a CUDA '
                         f'{want} toolkit and set CUDA_HOME')
    return home


def find_toolkit(env, torch, cache_root, log=print):
    """CUDA_HOME with nvcc of torch's CUDA major.minor: $CUDA_HOME (must match), a matching
    system toolkit, else NVIDIA's wheels from the package registry."""
    want = '.'.join(torch.version.cuda.split('.')[:2])
    mode = env.get('MMEXT_CUDA_TOOLKIT', 'auto')
    if mode not in ('auto', 'system', 'pip'):
        raise SetupError(f'MMEXT_CUDA_TOOLKIT={mode}: use auto, system or pip')
    explicit = env.get('CUDA_HOME') or env.get('CUDA_PATH')
    if explicit and mode != 'pip':
        found = nvcc_release(explicit)
        if found != want:
            raise SetupError(
                f'CUDA_HOME={explicit} has {"nvcc " + found if found else "no nvcc"}'
                f' but torch {torch.__version__} was built with CUDA {want}: point CUDA_HOME at a'
                f' CUDA {want} toolkit, or unset it to fetch nvcc {want} from PyPI')
        if missing_headers(explicit):
            raise SetupError(f'CUDA_HOME={explicit} lacks {" ".join(missing_headers(explicit))}'
                             ' (torch\'s CUDA headers include them): install those CUDA '
                             'libraries\' headers there, or unset CUDA_HOME to use PyPI\'s')
        return explicit
    if mode != 'pip':
        for home in system_toolkits(env, want):
            found = nvcc_release(home)
            if found == want and toolkit_fits(home, want):
                return home
            if found and found != want:
                log(f'{home} has CUDA {found}, torch needs {want}: not using it')
            elif found and os.path.isfile(os.path.join(home, 'include', 'cuda_runtime.h')):
                log(f'{home} lacks {" ".join(missing_headers(home))}: not using it')
    if mode == 'system':
        raise SetupError(f'no system CUDA {want} toolkit found (tried '
                         f'{", ".join(system_toolkits(env, want))}): install one and set '
                         'CUDA_HOME, or set MMEXT_CUDA_TOOLKIT=pip')
    return registry_toolkit(want, cache_root, log)


# --- CUDA kernels inside a built extension -----------------------------------------------------

def elf_sections(data):
    """{name: bytes} of a little-endian ELF64 image's sections."""
    if data[:4] != b'\x7fELF' or data[4] != 2 or data[5] != 1:
        raise ValueError('not a little-endian ELF64 file')
    shoff, = struct.unpack_from('<Q', data, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from('<HHH', data, 0x3A)
    headers = [struct.unpack_from('<IIQQQQ', data, shoff + i * shentsize) for i in range(shnum)]
    names_off, names_size = headers[shstrndx][4], headers[shstrndx][5]
    names = data[names_off:names_off + names_size]
    sections = {}
    for name_idx, sh_type, _, _, offset, size in headers:
        name = names[name_idx:names.index(b'\0', name_idx)].decode()
        sections[name] = b'' if sh_type == 8 else data[offset:offset + size]  # 8: SHT_NOBITS
    return sections


def fatbin_archs(blob):
    """Archs in a .nv_fatbin section: 'sm_XY' for each cubin, 'compute_XY' for PTX."""
    archs, pos = set(), 0
    while pos + 16 <= len(blob):
        magic, _, header_size, fat_size = struct.unpack_from('<IHHQ', blob, pos)
        if magic != FATBIN_MAGIC:
            pos += 8  # fat binaries are 8-byte aligned in the section
            continue
        entry, end = pos + header_size, pos + header_size + fat_size
        while entry + 32 <= end:
            kind, _, entry_header, payload = struct.unpack_from('<HHIQ', blob, entry)
            arch, = struct.unpack_from('<I', blob, entry + 28)
            if kind == FATBIN_KIND_CUBIN:
                archs.add(f'sm_{arch}')
            elif kind == FATBIN_KIND_PTX:
                archs.add(f'compute_{arch}')
            if entry_header == 0:
                break
            entry += entry_header + payload
        pos = end
    return archs


def extension_bytes(path):
    """The bytes of mmcv/_ext*.so, from a wheel or given directly."""
    if not zipfile.is_zipfile(path):
        with open(path, 'rb') as f:
            return f.read()
    with zipfile.ZipFile(path) as wheel:
        names = [n for n in wheel.namelist() if re.fullmatch(r'mmcv/_ext[^/]*\.so', n)]
        if not names:
            raise ValueError(f'{path} has no mmcv/_ext*.so (mmcv without ops)')
        return wheel.read(names[0])


def cuda_kernels(path):
    """Sorted archs of the CUDA kernels in the extension ([] for a CPU-only build): its
    .nv_fatbin cubins/PTX, counted only when mmcv's CUDA launchers are exported too."""
    sections = elf_sections(extension_bytes(path))
    if not all(name in sections.get('.dynstr', b'') for name in CUDA_LAUNCHERS):
        return []
    return sorted(fatbin_archs(sections.get('.nv_fatbin', b'')), key=lambda a: (parse_arch(a), a))


def wheel_fits(path, env, torch):
    """None if the wheel's kernels serve the target, else the reason it does not."""
    if target(env, torch) == 'cpu':
        return None
    try:
        archs = cuda_kernels(path)
    except ValueError as err:
        return str(err)
    if not archs:
        return 'it has no CUDA kernels (a CPU-only build)'
    caps = gpu_capabilities(torch) or [parse_arch(a) for a in arch_list_archs(arch_list(env, torch))]
    missing = [c for c in caps if not covers(archs, c)]
    if missing:
        return (f'its CUDA kernels ({" ".join(archs)}) do not run on compute capability '
                f'{".".join(map(str, missing[0]))}')
    return None


# --- the ops check ---------------------------------------------------------------------------

def check_ops(env, torch):
    """RoIAlign and nms give the expected result on the CPU and, with a GPU target on a GPU
    machine, the same result on CUDA tensors. Raises SetupError naming what failed."""
    try:
        from mmcv.ops import RoIAlign, nms
    except ImportError as err:
        raise SetupError(f'mmcv.ops fails to import ({err}): mmcv was built for another torch; '
                         'delete the cached wheel to rebuild it') from None
    gen = torch.Generator().manual_seed(0)
    feats = torch.rand(1, 3, 16, 16, generator=gen)
    rois = torch.tensor([[0, 1.0, 1.0, 9.0, 9.0], [0, 4.0, 2.0, 15.0, 12.0]])
    boxes = torch.tensor([[0, 0, 10, 10], [1, 1, 11, 11], [50, 50, 60, 60.0]])
    scores = torch.tensor([0.9, 0.8, 0.7])
    roi_align = RoIAlign((4, 4), spatial_scale=1.0, sampling_ratio=2, aligned=True)

    def run(device):
        pooled = roi_align(feats.to(device), rois.to(device)).cpu()
        _, keep = nms(boxes.to(device), scores.to(device), iou_threshold=0.5)
        return pooled, keep.cpu()

    pooled, keep = run('cpu')
    if keep.tolist() != [0, 2] or pooled.shape != (2, 3, 4, 4) or not torch.isfinite(pooled).all():
        raise SetupError(f'mmcv.ops gives wrong CPU results (nms kept {keep.tolist()}): rebuild '
                         'mmcv (delete the cached wheel)')
    if target(env, torch) != 'cuda':
        return 'cpu'
    import mmcv._ext
    reason = wheel_fits(mmcv._ext.__file__, env, torch)
    if reason:
        raise SetupError(f'the installed mmcv does not fit: {reason}')
    if not gpu_capabilities(torch):
        return 'cpu (CUDA kernels present)'
    try:
        pooled_gpu, keep_gpu = run('cuda')
    except RuntimeError as err:
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise SetupError(f'mmcv.ops do not run on CUDA tensors ({first}): mmcv needs a build '
                         'with CUDA kernels for this GPU') from None
    if keep_gpu.tolist() != keep.tolist() or not torch.allclose(pooled_gpu, pooled, atol=1e-5):
        raise SetupError('mmcv.ops on CUDA disagree with the CPU result: rebuild mmcv')
    return 'cuda'


def main(argv=None):
    args = sys.argv[1:] if argv is None else argv
    env = os.environ
    log = lambda msg: print(f'[install] {msg}', file=sys.stderr)  # noqa: E731
    try:
        import torch
        command = args[0] if args else ''
        if command == 'target':
            print(target(env, torch))
        elif command == 'arch-list':
            print(arch_list(env, torch))
        elif command == 'key':
            print(cache_key(env, torch))
        elif command == 'toolkit' and len(args) == 2:
            print(find_toolkit(env, torch, args[1], log))
        elif command == 'kernels' and len(args) == 2:
            print(' '.join(cuda_kernels(args[1])))
        elif command == 'wheel-fits' and len(args) == 2:
            reason = wheel_fits(args[1], env, torch)
            if reason:
                log(f'{os.path.basename(args[1])} does not fit this machine: {reason}')
                return 1
        elif command == 'check-ops':
            print(check_ops(env, torch))
        else:
            print(__doc__, file=sys.stderr)
            return 64
    except SetupError as err:
        print(f'error: {err}', file=sys.stderr)
        return 2
    return 0


if __name__ == '__main__':
    sys.exit(main())
