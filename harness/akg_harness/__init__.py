"""The AKG kernel agent's Python harness, run by the C++ agent only as a child process.

`python -m akg_harness {inspect,verify,profile,peaks} --request R.json --result OUT.json`
(docs/HARNESS_PROTOCOL.md is the contract). How data moves:

  __main__      parses the command line, reads the request (request.py), calls the command's
                `run(request) -> dict`, writes the result atomically (results.py)
  inspect_task  task.py loads the task (loader.py) and runs the reference; graph.py describes it
  verify        task.py + candidate.py per seeded trial; compare.py judges the outputs
  profile       task.py + candidate.py once; timing.py times eager, torch.compile and the
                candidate on the same device; sol.py sets them against the speed of light
  peaks         this device's copy bandwidth and matmul rates (for the peak table)
  devices.py    where tensors live (CUDA, CPU, or CPU under Triton's interpreter)
  native.py     the sanctioned C++ loader candidates use; standard library only

Outcomes travel as exceptions from errors.py and become result values at each command's top.
"""
