"""Batch runs: plans of files × sweep points × replicates, local or Dask executors, the
resumable batch folder and its report."""

from carbonsim.batch.folder import BatchError, BatchFolderError, BatchInterrupted, ClusterLost
from carbonsim.batch.plan import BatchResult, RunSpec, plan_batch, run_batch

__all__ = ["BatchError", "BatchFolderError", "BatchInterrupted", "ClusterLost", "BatchResult", "RunSpec", "plan_batch", "run_batch"]
