pragma circom 2.0.0;

template T2(N) {
    signal input a;      // public
    signal input b;      // private
    signal input c;      // private
    signal output out1;
    signal output out2;
    signal t[N];
    t[0] <== (a + b + 3) * (b + 2*c);
    for (var i = 1; i < N; i++) {
        t[i] <== t[i-1] * (t[i-1] + a + i);
    }
    out1 <== t[N-1] + a*c;
    out2 <== 5*a + 7*b - c + 11;
}

component main {public [a]} = T2(12);
