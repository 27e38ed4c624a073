;; gradchain's portable step function (issue 17): one training step of the digits MLP (n_in -> n_hid, ReLU ->
;; n_out, mean cross-entropy), backward, and SGD with momentum and L2 weight decay exactly as torch.optim.SGD
;; defines them (dampening 0, no Nesterov; the momentum buffer explicit, zeros at genesis).
;;
;; Deterministic by construction, so that every engine that runs this module (wasmtime in the prover and the
;; verifier, V8 in a browser) computes the same bits:
;; - scalar f32/f64 arithmetic only (no SIMD, no relaxed SIMD, no threads); WebAssembly rounds every operation
;;   to nearest and never fuses a multiply and an add;
;; - one fixed summation order: every sum runs in index order, written out below;
;; - exp and log in software (f64, Cody-Waite range reduction and fixed polynomials), no host import;
;; - NaN canonicalized (0x7fc00000) wherever a value is stored, because WebAssembly leaves NaN payloads to
;;   the engine.
;;
;; Memory: an offsets table at byte 0 (REGIONS i32s), regions from byte 128, laid out by `configure`.
;;  0 W0 [n_hid*n_in]   1 b0 [n_hid]   2 W1 [n_out*n_hid]   3 b1 [n_out]      (parameters, row-major [out, in])
;;  4..7 the momentum buffers of 0..3, same shapes
;;  8 X [B*n_in] f32    9 Y [B] i32 class indices
;; 10 H [B*n_hid] ReLU outputs   11 Z [B*n_out] logits, then their gradient
;; 12..15 the gradients of 0..3   16 DH [B*n_hid] the hidden layer's gradient
(module
  (memory (export "memory") 1)
  (global $n_in (mut i32) (i32.const 0))
  (global $n_hid (mut i32) (i32.const 0))
  (global $n_out (mut i32) (i32.const 0))
  (global $max_b (mut i32) (i32.const 0))
  (global $cursor (mut i32) (i32.const 128))

  (func $off (param $r i32) (result i32)
    (i32.load (i32.shl (local.get $r) (i32.const 2))))

  (func (export "offset") (param $r i32) (result i32)
    (call $off (local.get $r)))

  ;; Region r gets `elems` 4-byte cells at the cursor.
  (func $region (param $r i32) (param $elems i32)
    (i32.store (i32.shl (local.get $r) (i32.const 2)) (global.get $cursor))
    (global.set $cursor (i32.add (global.get $cursor) (i32.shl (local.get $elems) (i32.const 2)))))

  ;; Lay the regions out for these sizes; 0 on success, 1 if a size is outside [1, 4096], 2 if memory cannot grow.
  (func (export "configure") (param $ni i32) (param $nh i32) (param $no i32) (param $nb i32) (result i32)
    (local $pages i32)
    (if (i32.or (i32.or (i32.lt_s (local.get $ni) (i32.const 1)) (i32.gt_s (local.get $ni) (i32.const 4096)))
          (i32.or (i32.or (i32.lt_s (local.get $nh) (i32.const 1)) (i32.gt_s (local.get $nh) (i32.const 4096)))
            (i32.or (i32.or (i32.lt_s (local.get $no) (i32.const 1)) (i32.gt_s (local.get $no) (i32.const 4096)))
              (i32.or (i32.lt_s (local.get $nb) (i32.const 1)) (i32.gt_s (local.get $nb) (i32.const 4096))))))
      (then (return (i32.const 1))))
    (global.set $n_in (local.get $ni))
    (global.set $n_hid (local.get $nh))
    (global.set $n_out (local.get $no))
    (global.set $max_b (local.get $nb))
    (global.set $cursor (i32.const 128))
    (call $region (i32.const 0) (i32.mul (local.get $nh) (local.get $ni)))
    (call $region (i32.const 1) (local.get $nh))
    (call $region (i32.const 2) (i32.mul (local.get $no) (local.get $nh)))
    (call $region (i32.const 3) (local.get $no))
    (call $region (i32.const 4) (i32.mul (local.get $nh) (local.get $ni)))
    (call $region (i32.const 5) (local.get $nh))
    (call $region (i32.const 6) (i32.mul (local.get $no) (local.get $nh)))
    (call $region (i32.const 7) (local.get $no))
    (call $region (i32.const 8) (i32.mul (local.get $nb) (local.get $ni)))
    (call $region (i32.const 9) (local.get $nb))
    (call $region (i32.const 10) (i32.mul (local.get $nb) (local.get $nh)))
    (call $region (i32.const 11) (i32.mul (local.get $nb) (local.get $no)))
    (call $region (i32.const 12) (i32.mul (local.get $nh) (local.get $ni)))
    (call $region (i32.const 13) (local.get $nh))
    (call $region (i32.const 14) (i32.mul (local.get $no) (local.get $nh)))
    (call $region (i32.const 15) (local.get $no))
    (call $region (i32.const 16) (i32.mul (local.get $nb) (local.get $nh)))
    (local.set $pages (i32.shr_u (i32.add (global.get $cursor) (i32.const 65535)) (i32.const 16)))
    (if (i32.gt_u (local.get $pages) (memory.size))
      (then
        (if (i32.eq (memory.grow (i32.sub (local.get $pages) (memory.size))) (i32.const -1))
          (then (return (i32.const 2))))))
    (i32.const 0))

  (func $canon32 (param $v f32) (result f32)
    (if (result f32) (f32.ne (local.get $v) (local.get $v))
      (then (f32.reinterpret_i32 (i32.const 0x7fc00000)))
      (else (local.get $v))))

  ;; e^x in f64: x = k ln2 + r, |r| <= ln2/2 (Cody-Waite: ln2 split in a 32-bit head and a tail), Taylor to r^13.
  (func $exp (param $x f64) (result f64)
    (local $k f64) (local $r f64) (local $p f64)
    (if (f64.lt (local.get $x) (f64.const -700)) (then (return (f64.const 0))))
    (if (f64.gt (local.get $x) (f64.const 700)) (then (local.set $x (f64.const 700))))
    (local.set $k (f64.nearest (f64.mul (local.get $x) (f64.const 1.4426950408889634))))
    (local.set $r (f64.sub (f64.sub (local.get $x) (f64.mul (local.get $k) (f64.const 0x1.62e42feep-1)))
                           (f64.mul (local.get $k) (f64.const 0x1.a39ef35793c76p-33))))
    (local.set $p (f64.const 1.6059043836821613e-10))                                   ;; 1/13!
    (local.set $p (f64.add (f64.mul (local.get $p) (local.get $r)) (f64.const 2.08767569878681e-09)))   ;; 1/12!
    (local.set $p (f64.add (f64.mul (local.get $p) (local.get $r)) (f64.const 2.505210838544172e-08)))  ;; 1/11!
    (local.set $p (f64.add (f64.mul (local.get $p) (local.get $r)) (f64.const 2.755731922398589e-07)))  ;; 1/10!
    (local.set $p (f64.add (f64.mul (local.get $p) (local.get $r)) (f64.const 2.7557319223985893e-06))) ;; 1/9!
    (local.set $p (f64.add (f64.mul (local.get $p) (local.get $r)) (f64.const 2.48015873015873e-05)))   ;; 1/8!
    (local.set $p (f64.add (f64.mul (local.get $p) (local.get $r)) (f64.const 0.0001984126984126984)))  ;; 1/7!
    (local.set $p (f64.add (f64.mul (local.get $p) (local.get $r)) (f64.const 0.001388888888888889)))   ;; 1/6!
    (local.set $p (f64.add (f64.mul (local.get $p) (local.get $r)) (f64.const 0.008333333333333333)))   ;; 1/5!
    (local.set $p (f64.add (f64.mul (local.get $p) (local.get $r)) (f64.const 0.041666666666666664)))   ;; 1/4!
    (local.set $p (f64.add (f64.mul (local.get $p) (local.get $r)) (f64.const 0.16666666666666666)))    ;; 1/3!
    (local.set $p (f64.add (f64.mul (local.get $p) (local.get $r)) (f64.const 0.5)))
    (local.set $p (f64.add (f64.mul (local.get $p) (local.get $r)) (f64.const 1)))
    (local.set $p (f64.add (f64.mul (local.get $p) (local.get $r)) (f64.const 1)))
    ;; times 2^k, built from its exponent bits (k in [-1010, 1010]: a normal number)
    (f64.mul (local.get $p)
      (f64.reinterpret_i64 (i64.shl (i64.add (i64.trunc_f64_s (local.get $k)) (i64.const 1023)) (i64.const 52)))))

  ;; ln s in f64 for a positive normal s: s = m 2^e with m in [sqrt(1/2), sqrt(2)), ln m = 2 atanh((m-1)/(m+1)).
  (func $log (param $s f64) (result f64)
    (local $bits i64) (local $e i64) (local $m f64) (local $t f64) (local $t2 f64) (local $p f64)
    (local.set $bits (i64.reinterpret_f64 (local.get $s)))
    (local.set $e (i64.sub (i64.and (i64.shr_u (local.get $bits) (i64.const 52)) (i64.const 0x7ff)) (i64.const 1023)))
    (local.set $m (f64.reinterpret_i64 (i64.or (i64.and (local.get $bits) (i64.const 0xfffffffffffff))
                                               (i64.const 0x3ff0000000000000))))
    (if (f64.gt (local.get $m) (f64.const 1.4142135623730951))
      (then (local.set $m (f64.mul (local.get $m) (f64.const 0.5)))
            (local.set $e (i64.add (local.get $e) (i64.const 1)))))
    (local.set $t (f64.div (f64.sub (local.get $m) (f64.const 1)) (f64.add (local.get $m) (f64.const 1))))
    (local.set $t2 (f64.mul (local.get $t) (local.get $t)))
    (local.set $p (f64.const 0.047619047619047616))                                                      ;; 1/21
    (local.set $p (f64.add (f64.mul (local.get $p) (local.get $t2)) (f64.const 0.05263157894736842)))  ;; 1/19
    (local.set $p (f64.add (f64.mul (local.get $p) (local.get $t2)) (f64.const 0.058823529411764705))) ;; 1/17
    (local.set $p (f64.add (f64.mul (local.get $p) (local.get $t2)) (f64.const 0.06666666666666667)))  ;; 1/15
    (local.set $p (f64.add (f64.mul (local.get $p) (local.get $t2)) (f64.const 0.07692307692307693)))  ;; 1/13
    (local.set $p (f64.add (f64.mul (local.get $p) (local.get $t2)) (f64.const 0.09090909090909091)))  ;; 1/11
    (local.set $p (f64.add (f64.mul (local.get $p) (local.get $t2)) (f64.const 0.1111111111111111)))   ;; 1/9
    (local.set $p (f64.add (f64.mul (local.get $p) (local.get $t2)) (f64.const 0.14285714285714285)))  ;; 1/7
    (local.set $p (f64.add (f64.mul (local.get $p) (local.get $t2)) (f64.const 0.2)))                  ;; 1/5
    (local.set $p (f64.add (f64.mul (local.get $p) (local.get $t2)) (f64.const 0.3333333333333333)))   ;; 1/3
    (local.set $p (f64.add (f64.mul (local.get $p) (local.get $t2)) (f64.const 1)))
    (f64.add (f64.mul (f64.convert_i64_s (local.get $e)) (f64.const 0.6931471805599453))
             (f64.mul (f64.mul (f64.const 2) (local.get $t)) (local.get $p))))

  ;; out[b, o] = bias[o] + sum_i x[b, i] w[o, i] (i ascending), then ReLU if relu != 0.
  (func $dense (param $x i32) (param $w i32) (param $bias i32) (param $out i32)
               (param $nb i32) (param $ni i32) (param $no i32) (param $relu i32)
    (local $b i32) (local $o i32) (local $i i32) (local $acc f32) (local $xrow i32) (local $wrow i32)
    (local.set $b (i32.const 0))
    (block $bdone (loop $bloop
      (br_if $bdone (i32.ge_s (local.get $b) (local.get $nb)))
      (local.set $xrow (i32.add (local.get $x) (i32.shl (i32.mul (local.get $b) (local.get $ni)) (i32.const 2))))
      (local.set $o (i32.const 0))
      (block $odone (loop $oloop
        (br_if $odone (i32.ge_s (local.get $o) (local.get $no)))
        (local.set $wrow (i32.add (local.get $w) (i32.shl (i32.mul (local.get $o) (local.get $ni)) (i32.const 2))))
        (local.set $acc (f32.load (i32.add (local.get $bias) (i32.shl (local.get $o) (i32.const 2)))))
        (local.set $i (i32.const 0))
        (block $idone (loop $iloop
          (br_if $idone (i32.ge_s (local.get $i) (local.get $ni)))
          (local.set $acc (f32.add (local.get $acc)
            (f32.mul (f32.load (i32.add (local.get $xrow) (i32.shl (local.get $i) (i32.const 2))))
                     (f32.load (i32.add (local.get $wrow) (i32.shl (local.get $i) (i32.const 2)))))))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br $iloop)))
        (if (local.get $relu)
          (then (if (i32.eqz (f32.gt (local.get $acc) (f32.const 0))) (then (local.set $acc (f32.const 0))))))
        (f32.store (i32.add (local.get $out) (i32.shl (i32.add (i32.mul (local.get $b) (local.get $no)) (local.get $o))
                                                      (i32.const 2)))
                   (call $canon32 (local.get $acc)))
        (local.set $o (i32.add (local.get $o) (i32.const 1)))
        (br $oloop)))
      (local.set $b (i32.add (local.get $b) (i32.const 1)))
      (br $bloop))))

  ;; The batch's mean cross-entropy (returned), and z replaced by its gradient (softmax - onehot) / B.
  ;; Per row: m = max z; s = sum_o e^(z_o - m) (o ascending, f64); loss_b = m + ln s - z_y.
  (func $xent (param $z i32) (param $y i32) (param $nb i32) (param $no i32) (result f32)
    (local $b i32) (local $o i32) (local $row i32) (local $t i32) (local $m f64) (local $s f64) (local $v f64)
    (local $total f64) (local $p f64)
    (local.set $b (i32.const 0))
    (block $bdone (loop $bloop
      (br_if $bdone (i32.ge_s (local.get $b) (local.get $nb)))
      (local.set $row (i32.add (local.get $z) (i32.shl (i32.mul (local.get $b) (local.get $no)) (i32.const 2))))
      (local.set $t (i32.load (i32.add (local.get $y) (i32.shl (local.get $b) (i32.const 2)))))
      (if (i32.or (i32.lt_s (local.get $t) (i32.const 0)) (i32.ge_s (local.get $t) (local.get $no)))
        (then unreachable))
      (local.set $m (f64.promote_f32 (f32.load (local.get $row))))
      (local.set $o (i32.const 1))
      (block $mdone (loop $mloop
        (br_if $mdone (i32.ge_s (local.get $o) (local.get $no)))
        (local.set $v (f64.promote_f32 (f32.load (i32.add (local.get $row) (i32.shl (local.get $o) (i32.const 2))))))
        (if (f64.gt (local.get $v) (local.get $m)) (then (local.set $m (local.get $v))))
        (local.set $o (i32.add (local.get $o) (i32.const 1)))
        (br $mloop)))
      (local.set $s (f64.const 0))
      (local.set $o (i32.const 0))
      (block $sdone (loop $sloop
        (br_if $sdone (i32.ge_s (local.get $o) (local.get $no)))
        (local.set $s (f64.add (local.get $s) (call $exp (f64.sub
          (f64.promote_f32 (f32.load (i32.add (local.get $row) (i32.shl (local.get $o) (i32.const 2)))))
          (local.get $m)))))
        (local.set $o (i32.add (local.get $o) (i32.const 1)))
        (br $sloop)))
      (local.set $total (f64.add (local.get $total)
        (f64.sub (f64.add (local.get $m) (call $log (local.get $s)))
                 (f64.promote_f32 (f32.load (i32.add (local.get $row) (i32.shl (local.get $t) (i32.const 2))))))))
      (local.set $o (i32.const 0))
      (block $gdone (loop $gloop
        (br_if $gdone (i32.ge_s (local.get $o) (local.get $no)))
        (local.set $p (f64.div (call $exp (f64.sub
          (f64.promote_f32 (f32.load (i32.add (local.get $row) (i32.shl (local.get $o) (i32.const 2)))))
          (local.get $m))) (local.get $s)))
        (if (i32.eq (local.get $o) (local.get $t)) (then (local.set $p (f64.sub (local.get $p) (f64.const 1)))))
        (f32.store (i32.add (local.get $row) (i32.shl (local.get $o) (i32.const 2)))
                   (call $canon32 (f32.demote_f64 (f64.div (local.get $p) (f64.convert_i32_s (local.get $nb))))))
        (local.set $o (i32.add (local.get $o) (i32.const 1)))
        (br $gloop)))
      (local.set $b (i32.add (local.get $b) (i32.const 1)))
      (br $bloop)))
    (call $canon32 (f32.demote_f64 (f64.div (local.get $total) (f64.convert_i32_s (local.get $nb))))))

  ;; g[o, i] = sum_b d[b, o] a[b, i] (b ascending); gb[o] = sum_b d[b, o].
  (func $grads (param $d i32) (param $a i32) (param $g i32) (param $gb i32) (param $nb i32) (param $no i32) (param $ni i32)
    (local $o i32) (local $i i32) (local $b i32) (local $acc f32)
    (local.set $o (i32.const 0))
    (block $odone (loop $oloop
      (br_if $odone (i32.ge_s (local.get $o) (local.get $no)))
      (local.set $i (i32.const 0))
      (block $idone (loop $iloop
        (br_if $idone (i32.ge_s (local.get $i) (local.get $ni)))
        (local.set $acc (f32.const 0))
        (local.set $b (i32.const 0))
        (block $bdone (loop $bloop
          (br_if $bdone (i32.ge_s (local.get $b) (local.get $nb)))
          (local.set $acc (f32.add (local.get $acc) (f32.mul
            (f32.load (i32.add (local.get $d) (i32.shl (i32.add (i32.mul (local.get $b) (local.get $no)) (local.get $o))
                                                       (i32.const 2))))
            (f32.load (i32.add (local.get $a) (i32.shl (i32.add (i32.mul (local.get $b) (local.get $ni)) (local.get $i))
                                                       (i32.const 2)))))))
          (local.set $b (i32.add (local.get $b) (i32.const 1)))
          (br $bloop)))
        (f32.store (i32.add (local.get $g) (i32.shl (i32.add (i32.mul (local.get $o) (local.get $ni)) (local.get $i))
                                                    (i32.const 2)))
                   (call $canon32 (local.get $acc)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $iloop)))
      (local.set $acc (f32.const 0))
      (local.set $b (i32.const 0))
      (block $cdone (loop $cloop
        (br_if $cdone (i32.ge_s (local.get $b) (local.get $nb)))
        (local.set $acc (f32.add (local.get $acc)
          (f32.load (i32.add (local.get $d) (i32.shl (i32.add (i32.mul (local.get $b) (local.get $no)) (local.get $o))
                                                     (i32.const 2))))))
        (local.set $b (i32.add (local.get $b) (i32.const 1)))
        (br $cloop)))
      (f32.store (i32.add (local.get $gb) (i32.shl (local.get $o) (i32.const 2))) (call $canon32 (local.get $acc)))
      (local.set $o (i32.add (local.get $o) (i32.const 1)))
      (br $oloop))))

  ;; dh[b, j] = h[b, j] > 0 ? sum_o d[b, o] w[o, j] (o ascending) : 0.
  (func $back (param $d i32) (param $w i32) (param $h i32) (param $dh i32) (param $nb i32) (param $no i32) (param $nh i32)
    (local $b i32) (local $j i32) (local $o i32) (local $acc f32) (local $at i32)
    (local.set $b (i32.const 0))
    (block $bdone (loop $bloop
      (br_if $bdone (i32.ge_s (local.get $b) (local.get $nb)))
      (local.set $j (i32.const 0))
      (block $jdone (loop $jloop
        (br_if $jdone (i32.ge_s (local.get $j) (local.get $nh)))
        (local.set $at (i32.shl (i32.add (i32.mul (local.get $b) (local.get $nh)) (local.get $j)) (i32.const 2)))
        (local.set $acc (f32.const 0))
        (if (f32.gt (f32.load (i32.add (local.get $h) (local.get $at))) (f32.const 0))
          (then
            (local.set $o (i32.const 0))
            (block $odone (loop $oloop
              (br_if $odone (i32.ge_s (local.get $o) (local.get $no)))
              (local.set $acc (f32.add (local.get $acc) (f32.mul
                (f32.load (i32.add (local.get $d) (i32.shl (i32.add (i32.mul (local.get $b) (local.get $no)) (local.get $o))
                                                           (i32.const 2))))
                (f32.load (i32.add (local.get $w) (i32.shl (i32.add (i32.mul (local.get $o) (local.get $nh)) (local.get $j))
                                                           (i32.const 2)))))))
              (local.set $o (i32.add (local.get $o) (i32.const 1)))
              (br $oloop)))))
        (f32.store (i32.add (local.get $dh) (local.get $at)) (call $canon32 (local.get $acc)))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $jloop)))
      (local.set $b (i32.add (local.get $b) (i32.const 1)))
      (br $bloop))))

  ;; torch.optim.SGD on n cells: g += wd p; buf = mom buf + g; p -= lr buf (with mom = 0: p -= lr g).
  (func $sgd (param $p i32) (param $g i32) (param $buf i32) (param $n i32) (param $lr f32) (param $mom f32) (param $wd f32)
    (local $k i32) (local $at i32) (local $gr f32) (local $v f32)
    (local.set $k (i32.const 0))
    (block $done (loop $loop
      (br_if $done (i32.ge_s (local.get $k) (local.get $n)))
      (local.set $at (i32.shl (local.get $k) (i32.const 2)))
      (local.set $gr (f32.load (i32.add (local.get $g) (local.get $at))))
      (if (f32.ne (local.get $wd) (f32.const 0))
        (then (local.set $gr (f32.add (local.get $gr)
                (f32.mul (local.get $wd) (f32.load (i32.add (local.get $p) (local.get $at))))))))
      (if (f32.ne (local.get $mom) (f32.const 0))
        (then
          (local.set $v (call $canon32 (f32.add (f32.mul (local.get $mom) (f32.load (i32.add (local.get $buf) (local.get $at))))
                                                (local.get $gr))))
          (f32.store (i32.add (local.get $buf) (local.get $at)) (local.get $v))
          (local.set $gr (local.get $v))))
      (f32.store (i32.add (local.get $p) (local.get $at))
                 (call $canon32 (f32.sub (f32.load (i32.add (local.get $p) (local.get $at)))
                                         (f32.mul (local.get $lr) (local.get $gr)))))
      (local.set $k (i32.add (local.get $k) (i32.const 1)))
      (br $loop))))

  ;; One step on the first nb rows of X and Y: forward, loss, backward, update. Returns the loss before the update.
  (func (export "train_step") (param $nb i32) (param $lr f32) (param $mom f32) (param $wd f32) (result f32)
    (local $loss f32) (local $ni i32) (local $nh i32) (local $no i32)
    (if (i32.or (i32.lt_s (local.get $nb) (i32.const 1)) (i32.gt_s (local.get $nb) (global.get $max_b)))
      (then unreachable))
    (local.set $ni (global.get $n_in))
    (local.set $nh (global.get $n_hid))
    (local.set $no (global.get $n_out))
    (call $dense (call $off (i32.const 8)) (call $off (i32.const 0)) (call $off (i32.const 1)) (call $off (i32.const 10))
                 (local.get $nb) (local.get $ni) (local.get $nh) (i32.const 1))
    (call $dense (call $off (i32.const 10)) (call $off (i32.const 2)) (call $off (i32.const 3)) (call $off (i32.const 11))
                 (local.get $nb) (local.get $nh) (local.get $no) (i32.const 0))
    (local.set $loss (call $xent (call $off (i32.const 11)) (call $off (i32.const 9)) (local.get $nb) (local.get $no)))
    (call $grads (call $off (i32.const 11)) (call $off (i32.const 10)) (call $off (i32.const 14)) (call $off (i32.const 15))
                 (local.get $nb) (local.get $no) (local.get $nh))
    (call $back (call $off (i32.const 11)) (call $off (i32.const 2)) (call $off (i32.const 10)) (call $off (i32.const 16))
                (local.get $nb) (local.get $no) (local.get $nh))
    (call $grads (call $off (i32.const 16)) (call $off (i32.const 8)) (call $off (i32.const 12)) (call $off (i32.const 13))
                 (local.get $nb) (local.get $nh) (local.get $ni))
    (call $sgd (call $off (i32.const 0)) (call $off (i32.const 12)) (call $off (i32.const 4))
               (i32.mul (local.get $nh) (local.get $ni)) (local.get $lr) (local.get $mom) (local.get $wd))
    (call $sgd (call $off (i32.const 1)) (call $off (i32.const 13)) (call $off (i32.const 5))
               (local.get $nh) (local.get $lr) (local.get $mom) (local.get $wd))
    (call $sgd (call $off (i32.const 2)) (call $off (i32.const 14)) (call $off (i32.const 6))
               (i32.mul (local.get $no) (local.get $nh)) (local.get $lr) (local.get $mom) (local.get $wd))
    (call $sgd (call $off (i32.const 3)) (call $off (i32.const 15)) (call $off (i32.const 7))
               (local.get $no) (local.get $lr) (local.get $mom) (local.get $wd))
    (local.get $loss)))
