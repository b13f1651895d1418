pragma circom 2.0.0;

template T() {
    signal input x;
    signal output out;
    out <== x*x + 5;
}

component main = T();
