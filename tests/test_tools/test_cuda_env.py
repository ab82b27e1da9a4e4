"""tools/misc/cuda_env.py, what install.sh decides with: device target, arch list, cache key, the CUDA
toolkit matching torch, the CUDA kernels inside a built mmcv extension and the ops check.
CPU-only: a fake torch stands in for GPUs, fake nvcc scripts for toolkits, small ELF files
written here (by the ELF64 and fatbin layouts) for extensions; real files are checked where
present (torch's own CUDA library against torch's arch list, the CPU-only mmcv wheel)."""
import glob
import os
import stat
import struct
import subprocess
import zipfile
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch

from mmext.testing import load_tool

ROOT = Path(__file__).resolve().parents[2]
ARCHS_CU130 = ['sm_75', 'sm_80', 'sm_86', 'sm_90', 'sm_100', 'sm_120']


ce = load_tool('cuda_env')


def fake_torch(caps=(), cuda='13.0', archs=ARCHS_CU130):
    caps = list(caps)
    return SimpleNamespace(
        __version__='2.14.1+cu130' if cuda else '2.14.1+cpu',
        version=SimpleNamespace(cuda=cuda),
        cuda=SimpleNamespace(is_available=lambda: bool(caps), device_count=lambda: len(caps),
                             get_device_capability=lambda i: caps[i],
                             get_arch_list=lambda: list(archs) if cuda else []))


# --- device target, arch list, key ---

def test_covers_follows_cubin_and_ptx_compatibility():
    assert ce.covers(['sm_80'], (8, 6))          # same major, lower minor
    assert not ce.covers(['sm_86'], (8, 0))      # a higher minor does not run
    assert not ce.covers(['sm_80'], (9, 0))      # cubins do not cross majors
    assert ce.covers(['compute_80'], (9, 0))     # PTX is compiled forward by the driver
    assert not ce.covers(['compute_90'], (8, 6))
    assert ce.covers(['sm_90a'], (9, 0))
    assert ce.arch_list_archs('8.6;9.0+PTX') == ['sm_86', 'sm_90', 'compute_90']
    assert ce.arch_list_archs('7.5 12.0') == ['sm_75', 'sm_120']


@pytest.mark.parametrize('env,caps,expected', [
    ({}, [], 'cpu'),
    ({}, [(9, 0)], 'cuda'),
    ({'MMEXT_DEVICE': 'cpu'}, [(9, 0)], 'cpu'),
    ({'FORCE_CUDA': '1'}, [], 'cuda'),
    ({'MMEXT_DEVICE': 'cpu', 'FORCE_CUDA': '1'}, [], 'cpu'),
])
def test_target(env, caps, expected):
    assert ce.target(env, fake_torch(caps)) == expected


@pytest.mark.parametrize('env,torch_kw,words', [
    ({}, dict(caps=[(3, 5)]), ['3.5', 'does not support', 'MMEXT_DEVICE=cpu']),
    ({'FORCE_CUDA': '1'}, dict(cuda=None), ['CPU-only build', 'MMEXT_DEVICE=cpu']),
    ({'MMEXT_DEVICE': 'cuda'}, dict(), ['sees no GPU', 'FORCE_CUDA=1']),
    ({'MMEXT_DEVICE': 'gpu'}, dict(), ['MMEXT_DEVICE=gpu']),
])
def test_target_errors_say_what_to_do(env, torch_kw, words):
    with pytest.raises(ce.SetupError) as err:
        ce.target(env, fake_torch(**torch_kw))
    for word in words:
        assert word in str(err.value)


def test_cache_key_names_what_the_wheel_holds(monkeypatch):
    monkeypatch.setattr(ce.platform, 'machine', lambda: 'x86_64')
    py = f'cp{ce.sys.version_info[0]}{ce.sys.version_info[1]}'
    assert ce.cache_key({}, fake_torch()) == f'torch-2.14.1-cpu-{py}-x86_64'
    assert ce.cache_key({}, fake_torch([(9, 0)])) == f'torch-2.14.1-cu130-{py}-x86_64-sm90'
    assert ce.cache_key({}, fake_torch([(8, 6), (9, 0), (8, 6)])).endswith('-sm86_sm90')
    env = {'FORCE_CUDA': '1', 'TORCH_CUDA_ARCH_LIST': '8.0;9.0+PTX'}
    assert ce.cache_key(env, fake_torch()).endswith('-cu130-' + py + '-x86_64-sm80_sm90_ptx90')
    # an explicit list overrides the present GPU's capability
    assert ce.arch_list({'TORCH_CUDA_ARCH_LIST': '8.0'}, fake_torch([(9, 0)])) == '8.0'
    with pytest.raises(ce.SetupError, match='TORCH_CUDA_ARCH_LIST'):
        ce.cache_key({'FORCE_CUDA': '1'}, fake_torch())


# --- toolkit ---

def fake_cuda_home(root, release, headers=ce.TORCH_CUDA_HEADERS):
    home = Path(root)
    (home / 'bin').mkdir(parents=True)
    (home / 'include').mkdir()
    nvcc = home / 'bin' / 'nvcc'
    nvcc.write_text(f'#!/bin/sh\necho "Cuda compilation tools, release {release}, V{release}.1"\n')
    nvcc.chmod(nvcc.stat().st_mode | stat.S_IEXEC)
    for header in headers:
        (home / 'include' / header).write_text('')
    return str(home)


def test_explicit_cuda_home_must_match_torch(tmp_path):
    old = fake_cuda_home(tmp_path / 'cuda-12.4', '12.4')
    with pytest.raises(ce.SetupError) as err:
        ce.find_toolkit({'CUDA_HOME': old}, fake_torch(), str(tmp_path / 'cache'))
    assert 'nvcc 12.4' in str(err.value) and 'CUDA 13.0' in str(err.value)
    bare = fake_cuda_home(tmp_path / 'cuda-bare', '13.0', headers=['cuda_runtime.h'])
    with pytest.raises(ce.SetupError, match='lacks cusparse.h'):
        ce.find_toolkit({'CUDA_HOME': bare}, fake_torch(), str(tmp_path / 'cache'))
    good = fake_cuda_home(tmp_path / 'cuda-13.0', '13.0')
    assert ce.find_toolkit({'CUDA_HOME': good}, fake_torch(), str(tmp_path / 'cache')) == good


def test_system_toolkit_used_only_when_it_matches(tmp_path, monkeypatch):
    old = fake_cuda_home(tmp_path / 'old', '12.4')
    good = fake_cuda_home(tmp_path / 'good', '13.0')
    fetched = []
    monkeypatch.setattr(ce, 'registry_toolkit',
                        lambda want, cache, log: fetched.append(want) or 'from-pypi')
    monkeypatch.setattr(ce, 'system_toolkits', lambda env, want: [old])
    messages = []
    assert ce.find_toolkit({}, fake_torch(), str(tmp_path), messages.append) == 'from-pypi'
    assert fetched == ['13.0'] and '12.4' in messages[0]
    monkeypatch.setattr(ce, 'system_toolkits', lambda env, want: [old, good])
    assert ce.find_toolkit({}, fake_torch(), str(tmp_path)) == good
    assert ce.find_toolkit({'MMEXT_CUDA_TOOLKIT': 'pip'}, fake_torch(), str(tmp_path)) == 'from-pypi'
    monkeypatch.setattr(ce, 'system_toolkits', lambda env, want: [old])
    with pytest.raises(ce.SetupError, match='MMEXT_CUDA_TOOLKIT=pip'):
        ce.find_toolkit({'MMEXT_CUDA_TOOLKIT': 'system'}, fake_torch(), str(tmp_path))


def test_registry_packages_pin_major_minor():
    assert 'nvidia-cuda-nvcc==13.0.*' in ce.registry_packages('13.0')
    assert 'nvidia-cuda-crt==13.0.*' in ce.registry_packages('13.0')
    assert ce.registry_packages('12.8')[0] == 'nvidia-cuda-nvcc-cu12==12.8.*'


def test_assemble_home_merges_wheels_and_torch_library_headers(tmp_path):
    part = tmp_path / 'prefix' / 'nvidia' / 'cu13'
    fake_cuda_home(part, '13.0', headers=['cuda_runtime.h'])
    (part / 'lib').mkdir()
    (part / 'lib' / 'libcudart.so.13').write_text('')
    torch_part = tmp_path / 'site' / 'nvidia' / 'cu13'
    (torch_part / 'include').mkdir(parents=True)
    for header in ('cusparse.h', 'cublas_v2.h', 'cusolverDn.h'):
        (torch_part / 'include' / header).write_text('')
    home = ce.assemble_home(str(tmp_path / 'prefix'), [str(torch_part) + '/'])
    assert ce.toolkit_fits(home, '13.0')
    assert os.path.realpath(os.path.join(home, 'lib64', 'libcudart.so')) == \
        str(part / 'lib' / 'libcudart.so.13')
    assert not os.path.exists(os.path.join(home, 'lib64', 'cusparse.h'))


# --- kernels inside an extension ---

def fatbin(entries):
    """A fat binary: header, then (kind, arch, payload) entries with 64-byte headers."""
    body = b''
    for kind, arch, payload in entries:
        header = struct.pack('<HHIQIIHHI', kind, 0x101, 64, len(payload), 0, 0, 0, 0, arch)
        body += header.ljust(64, b'\0') + payload
    return struct.pack('<IHHQ', 0xBA55ED50, 1, 16, len(body)) + body


def elf(sections):
    """A minimal little-endian ELF64 file holding `sections` [(name, bytes)]."""
    names = b'\0' + b''.join(n.encode() + b'\0' for n, _ in sections) + b'.shstrtab\0'
    data, offsets = bytearray(64), []
    for _, blob in sections:
        data += b'\0' * (-len(data) % 8)
        offsets.append(len(data))
        data += blob
    names_off = len(data)
    data += names + b'\0' * (-(len(data) + len(names)) % 8)
    headers, pos = [bytes(64)], 1
    for (name, blob), off in zip(sections, offsets):
        headers.append(struct.pack('<IIQQQQIIQQ', pos, 1, 0, 0, off, len(blob), 0, 0, 8, 0))
        pos += len(name) + 1
    headers.append(struct.pack('<IIQQQQIIQQ', pos, 3, 0, 0, names_off, len(names), 0, 0, 1, 0))
    shoff = len(data)
    data += b''.join(headers)
    data[:64] = (b'\x7fELF' + bytes([2, 1, 1]) + bytes(9) + struct.pack(
        '<HHIQQQIHHHHHH', 3, 62, 1, 0, 0, shoff, 0, 64, 0, 0, 64, len(headers),
        len(headers) - 1))
    return bytes(data)


LAUNCHERS = b'\0_Z33ROIAlignForwardCUDAKernelLauncherv\0_Z21NMSCUDAKernelLauncherv\0'


def write_wheel(path, so_bytes):
    with zipfile.ZipFile(path, 'w') as wheel:
        wheel.writestr('mmcv/__init__.py', '')
        wheel.writestr('mmcv/_ext.cpython-311-x86_64-linux-gnu.so', so_bytes)
    return str(path)


def test_cuda_kernels_read_from_fatbin_and_symbols(tmp_path):
    blob = fatbin([(2, 90, b'cubin' * 3), (1, 90, b'ptx')]) + b'\0' * 8 + fatbin([(2, 80, b'c')])
    cuda = write_wheel(tmp_path / 'cuda.whl', elf([('.dynstr', LAUNCHERS), ('.nv_fatbin', blob)]))
    assert ce.cuda_kernels(cuda) == ['sm_80', 'compute_90', 'sm_90']
    cpu = write_wheel(tmp_path / 'cpu.whl', elf([('.dynstr', b'\0_Z9nms_implv\0')]))
    assert ce.cuda_kernels(cpu) == []
    # CUDA code that is not mmcv's kernels (no launchers exported) does not count
    other = write_wheel(tmp_path / 'other.whl', elf([('.dynstr', b'\0'), ('.nv_fatbin', blob)]))
    assert ce.cuda_kernels(other) == []

    gpu90, gpu86 = fake_torch([(9, 0)]), fake_torch([(8, 6)])
    only90 = write_wheel(tmp_path / 'only90.whl', elf(
        [('.dynstr', LAUNCHERS), ('.nv_fatbin', fatbin([(2, 90, b'c')]))]))
    assert ce.wheel_fits(only90, {}, gpu90) is None
    assert 'compute capability 8.6' in ce.wheel_fits(only90, {}, gpu86)
    assert 'no CUDA kernels' in ce.wheel_fits(cpu, {}, gpu90)
    assert ce.wheel_fits(cpu, {}, fake_torch()) is None            # a CPU machine takes it
    assert 'no CUDA kernels' in ce.wheel_fits(cpu, {'FORCE_CUDA': '1',
                                                    'TORCH_CUDA_ARCH_LIST': '9.0'}, fake_torch())


def test_fatbin_reader_agrees_with_torch_arch_list():
    libs = glob.glob(os.path.join(os.path.dirname(torch.__file__), 'lib', 'libtorch_cuda_linalg.so'))
    if torch.version.cuda is None or not libs:
        pytest.skip('torch has no CUDA libraries here')
    with open(libs[0], 'rb') as f:
        archs = ce.fatbin_archs(ce.elf_sections(f.read())['.nv_fatbin'])
    cubins = {a for a in archs if a.startswith('sm_')}
    assert cubins and cubins <= set(torch.cuda.get_arch_list())


def test_cpu_only_mmcv_wheel_is_refused_for_a_gpu():
    wheels = glob.glob(str(ROOT.parent / 'shared' / 'wheels' / 'mmcv-2.1.0-*.whl'))
    if not wheels:
        pytest.skip('no CPU mmcv wheel in ../shared/wheels')
    assert ce.cuda_kernels(wheels[0]) == []
    assert 'no CUDA kernels' in ce.wheel_fits(wheels[0], {}, fake_torch([(9, 0)]))


# --- ops check on the installed mmcv ---

def test_check_ops_on_the_installed_mmcv():
    if torch.cuda.is_available():
        assert ce.check_ops({}, torch) == 'cuda'
        return
    assert ce.check_ops({}, torch) == 'cpu'
    if torch.version.cuda is not None and not ce.cuda_kernels(
            __import__('mmcv._ext', fromlist=['_ext']).__file__):
        with pytest.raises(ce.SetupError, match='no CUDA kernels'):
            ce.check_ops({'FORCE_CUDA': '1', 'TORCH_CUDA_ARCH_LIST': '9.0'}, torch)


def test_install_mmcv_without_venv_says_what_to_do(tmp_path):
    result = subprocess.run(['bash', str(ROOT / 'tools' / 'misc' / 'install.sh'), 'mmcv'],
                            env=dict(os.environ, VENV=str(tmp_path / 'none')),
                            capture_output=True, text=True)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f'error: no virtual environment at {tmp_path / "none"}: run bash tools/misc/install.sh first']
