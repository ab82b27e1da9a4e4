from .particle_unet import ParticleUNet  # noqa: F401
