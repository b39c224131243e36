"""Reports: the manager's figures (one module computes them all) and the monthly workbook."""
