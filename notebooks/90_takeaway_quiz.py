# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown] slideshow={"slide_type": "slide"}
# # 90 · Takeaway quiz
#
# The seven takeaway questions of the lecture, one at a time. Tick every option you think is correct (one or more may be), press **Check** to see each option judged and the explanation, then **Next**.
#
# The answer key is instructor-only: it is read from `instructor/takeaway_key.json` in the course repository (or the file named by `$TINYML_QUIZ_KEY`) and is not part of the `tinyml_course` package. Without it the questions are still shown.

# %% [markdown] slideshow={"slide_type": "notes"}
# Speaker notes: seven questions, one at a time; the key loads only where the instructor's
# checkout has instructor/takeaway_key.json. Let the room vote before pressing Check.

# %% slideshow={"slide_type": "skip"}
# imports
from IPython.display import Markdown, display

from tinyml_course.quiz import TAKEAWAY_QUESTIONS, QuizWidget, find_key_file, load_key

# %% slideshow={"slide_type": "-"}
# load the answer key (instructor only), if this checkout has it
key_path = find_key_file()
if key_path is None:
    key = None
    print("No answer key found: looked for instructor/takeaway_key.json here and in the "
          "parent folders (or set TINYML_QUIZ_KEY to its path).\n"
          "The questions are shown below; 'Check' stays disabled.")
else:
    key = load_key(key_path)
    print(f"answer key loaded: {len(key)} questions from {key_path.name}")

# %% slideshow={"slide_type": "-"}
# scoring shown after each check: "partial" or "all-or-nothing"
policy = "partial"

# %% slideshow={"slide_type": "subslide"}
# the quiz: one question at a time
quiz = QuizWidget(TAKEAWAY_QUESTIONS, key=key, policy=policy)
quiz

# %% [markdown] slideshow={"slide_type": "skip"}
# ## All questions at once
#
# To read or discuss them together (not in the slideshow: the quiz above shows them one by one).

# %% slideshow={"slide_type": "skip"}
# all questions as text
for question in TAKEAWAY_QUESTIONS:
    display(Markdown(question.to_markdown()))
