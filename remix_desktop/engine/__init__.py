"""Native models (llama.cpp, stable-diffusion.cpp) run here, in a worker process."""
