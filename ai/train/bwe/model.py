"""The learned bandwidth estimator's network (ai/bwe in C): the trainer's
RecurrentStack with one GRU layer, 16 features in, one output:
ln(target / 1 Mbit/s). Kept tiny on purpose: it runs 20 times a second per
call and must cost well under 0.1 % of a core."""
from ai.train.cells import RecurrentStack

N_FEAT = 16  # PL_BWE_NFEAT (ai/bwe/bwe.h)
FEATURES = ["ln_recv", "ln_send200", "ln_send1s", "ln_gcc_target", "ln_gcc_delay",
            "ln_gcc_acked", "ln_last_out", "q_min", "q_max", "q_grad", "loss5",
            "rtt", "overuse", "underuse", "alr", "fb_age"]


def make_model(hidden=32):
    return RecurrentStack(N_FEAT, 1, hidden=hidden, layers=1, cell="gru", in_act="prelu",
                          between="none", out_act="none")
