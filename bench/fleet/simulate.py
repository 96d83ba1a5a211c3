#!/usr/bin/env python3
"""A discrete-event model of bench/fleet's deploy (100 agents, 20 containers
each replaced over 300 s, one token bucket), used to choose how the agent
waits for its Route 53 pace before the benchmark measured it: it models the
agent's batching (the first change of a quiet period at once, then a quiet
1 s, at most maxd: --batch-max-delay, 2.25 s; 5 s until 2026-12-04), the
pacer (common/pacer.cc: halved per throttle, +0.01/s, gaps jittered by half) and the bucket, not moto, the engines or the reaper.
  python3 bench/fleet/simulate.py     (under a second)
The figures it gave are in docs/BENCHMARKS.md beside the measured ones.
"""
import heapq
import random


# B: plan when the pace allows (and plan a throttled change again); else plan,
# then wait. ai: the pacer's additive increase per second ('time', as
# common/pacer.cc) or per answered request ('req', tried and rejected: it
# recovers too slowly from the floor).
def run(B, ai, replan=True, rate=5, burst=5, seed=1, start_rate=5.0, dec=0.5, inc=0.01, minr=0.02, jit=0.5, lat=0.15, calm=300, maxthr=12, maxd=2.25):
    rng = random.Random(seed)
    N=100; C=20; T=300
    events=[]  # (t, agent, kind)
    for a in range(N):
        for c in range(C):
            t = rng.uniform(0,T)
            events.append((t,a,'chg')); events.append((t+1,a,'chg'))
    events.sort()
    last_event = events[-1][0]
    tokens=burst; tlast=0.0
    def bucket(t):
        nonlocal tokens,tlast
        tokens=min(burst,tokens+(t-tlast)*rate); tlast=t
        if tokens>=1: tokens-=1; return True
        return False
    class P: pass
    ag=[]
    for a in range(N):
        p=P(); p.rate=0; p.next=0; p.lastc=0; p.lastthr=-1e9; p.pending=[]; p.inflight=None; p.busy=False
        p.first=None; p.lastd=None; p.lastrun=-1e9; p.ran=False
        ag.append(p)
    def grow(p,t):
        if p.rate>0 and t>p.lastc:
            if ai=='time': p.rate+=inc*(t-p.lastc)
            p.lastc=t
            if p.rate>=50 or t-p.lastthr>=calm: p.rate=0
    def sent(p,t):
        if p.rate>0: p.next=t+rng.uniform(1-jit,1+jit)/p.rate
    def throttled(p,t):
        grow(p,t)
        fr=p.rate if p.rate>0 else start_rate
        p.rate=max(minr,fr*dec); p.lastc=t; p.lastthr=t; sent(p,t)
    def answered(p,t):
        grow(p,t)
        if ai=='req' and p.rate>0: p.rate+=inc
    q=[]; seq=0
    def push(t,kind,a,data=None):
        nonlocal seq; seq+=1; heapq.heappush(q,(t,seq,kind,a,data))
    for (t,a,k) in events: push(t,'ev',a)
    delays=[]; calls=0; thr=0; done_t={}
    # agent loop state machine: 'idle' waiting for pending; when pending, decide send time
    def schedule(a,t):
        p=ag[a]
        if p.busy or not p.pending: return
        quiet = (not p.ran) or (p.first - p.lastrun >= 1.0)
        if quiet: when=t
        else: when=max(t, min(p.lastd+1.0, p.first+maxd))
        if B: when=max(when, p.next if p.rate>0 else when)
        p.busy=True
        push(when,'plan',a)
    while q:
        t,_,kind,a,data=heapq.heappop(q)
        p=ag[a]
        if kind=='ev':
            if not p.pending: p.first=t
            p.lastd=t
            p.pending.append(t)
            if not p.busy: schedule(a,t)
        elif kind=='plan':
            if not p.pending: p.busy=False; continue
            # debounce re-check if new changes moved lastd (quiet interval)
            quiet = (not p.ran) or (p.first - p.lastrun >= 1.0)
            if not quiet:
                when=min(p.lastd+1.0,p.first+maxd)
                if B and p.rate>0: when=max(when,p.next)
                if when>t+1e-9: push(when,'plan',a); continue
            batch=p.pending; p.pending=[]; p.ran=True
            push(max(t, p.next if p.rate>0 else t),'send',a,(batch,0))
        elif kind=='send':
            batch,nthr=data
            sent(p,t); calls+=1
            ok=bucket(t)
            if ok:
                answered(p,t+lat)
                for e in batch: delays.append(t+lat-e)
                p.lastrun=t+lat; p.busy=False
                done_t[a]=t+lat
                push(t+lat,'resched',a)
            else:
                thr+=1; throttled(p,t+0.01)
                if B and replan:
                    # give batch back, re-plan at next slot, merging new changes
                    p.pending=batch+p.pending
                    p.first=min(p.pending); p.busy=False; p.lastrun=t
                    push(t+0.01,'resched',a)
                else:
                    if nthr+1>=maxthr:
                        p.pending=batch+p.pending; p.first=min(p.pending); p.busy=False; push(t+1,'resched',a)
                    else:
                        push(max(t+0.01,p.next),'send',a,(batch,nthr+1))
        elif kind=='resched':
            if p.pending and not p.busy:
                # time-based: treat as if marks happened
                schedule(a,t)
    conv=max(done_t.values())-last_event
    delays.sort()
    return dict(conv=round(conv,1), p50=round(delays[len(delays)//2],1), p99=round(delays[int(len(delays)*.99)],1), calls=calls, thr=thr)
if __name__ == '__main__':
    # The loop before (A: plan, then wait for the pace; a throttled change is
    # retried as it was) against the one that plans at the pace (B), with the
    # pacer's time-based additive increase (as common/pacer.cc), three seeds.
    for B in (False, True):
        for rate, burst in ((5, 5), (10, 50)):
            rs = [run(B, 'time', rate=rate, burst=burst, seed=s) for s in (1, 2, 3)]
            print('plan at the pace' if B else 'plan, then wait', f'{rate}/s burst {burst}:',
                  ', '.join(f"converged {r['conv']} s, p50 {r['p50']} s, p99 {r['p99']} s, "
                            f"{r['calls']} calls, {r['thr']} throttled" for r in rs))
