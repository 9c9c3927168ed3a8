"""Customer feedback (信息反馈): satisfaction surveys after a job, and complaint tickets."""
