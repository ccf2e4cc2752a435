# nbgrader looks for its configuration in the working directory: the course's
# real configuration lives in autograder/nbgrader_config.py.
c = get_config()  # noqa: F821
load_subconfig("autograder/nbgrader_config.py")  # noqa: F821
