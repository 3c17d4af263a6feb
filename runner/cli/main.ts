// Placeholder entry point; replaced by the real CLI.
process.stdout.write('mqscen 0.1.0\n');
